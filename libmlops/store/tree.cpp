#include <mlops/store/tree.hpp>

#include <algorithm>
#include <charconv>

#include <mlops/util/hash.hpp>

namespace mlops::store {

namespace {
constexpr std::string_view k_header = "mlops-tree 1\n";
}

bool is_safe_relative_path(std::string_view path) {
    if (path.empty() || path.front() == '/') return false;
    std::size_t i = 0;
    while (i <= path.size()) {
        std::size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        std::string_view part = path.substr(i, j - i);
        if (part.empty() || part == "." || part == "..") return false;
        i = j + 1;
    }
    return path.find('\n') == std::string_view::npos;
}

const char* mode_name(EntryMode m) {
    switch (m) {
    case EntryMode::file: return "644";
    case EntryMode::executable: return "755";
    case EntryMode::symlink: return "link";
    }
    return "644";
}

void Tree::sort() {
    std::sort(entries.begin(), entries.end(),
              [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
}

std::string Tree::serialize() const {
    std::string out(k_header);
    out.reserve(entries.size() * 100);
    for (const auto& e : entries) {
        out += e.oid;
        out += ' ';
        out += mode_name(e.mode);
        out += ' ';
        out += std::to_string(e.size);
        out += '\t';
        out += e.path;
        out += '\n';
    }
    return out;
}

util::Result<Tree> Tree::parse(std::string_view text, std::string_view oid) {
    auto bad = [&](std::size_t line, std::string_view why) {
        return util::fail(util::Error::integrity(
            fmt::format("tree object {} line {}: {}", oid, line, why)));
    };
    if (!text.starts_with(k_header)) return bad(1, "not a tree object (bad header)");
    Tree tree;
    std::size_t pos = k_header.size();
    std::size_t line = 1;
    while (pos < text.size()) {
        ++line;
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) return bad(line, "missing newline");
        std::string_view l = text.substr(pos, nl - pos);
        pos = nl + 1;
        std::size_t tab = l.find('\t');
        if (tab == std::string_view::npos || l.size() < 64 + 1) return bad(line, "malformed entry");
        TreeEntry e;
        e.oid = std::string(l.substr(0, 64));
        if (!util::is_oid(e.oid) || l[64] != ' ') return bad(line, "malformed oid");
        std::string_view rest = l.substr(65, tab - 65);
        std::size_t sp = rest.find(' ');
        if (sp == std::string_view::npos) return bad(line, "malformed mode");
        std::string_view mode = rest.substr(0, sp);
        if (mode == "644") e.mode = EntryMode::file;
        else if (mode == "755") e.mode = EntryMode::executable;
        else if (mode == "link") e.mode = EntryMode::symlink;
        else return bad(line, "unknown mode");
        std::string_view size = rest.substr(sp + 1);
        auto [p, ec] = std::from_chars(size.data(), size.data() + size.size(), e.size);
        if (ec != std::errc() || p != size.data() + size.size()) return bad(line, "malformed size");
        e.path = std::string(l.substr(tab + 1));
        if (!is_safe_relative_path(e.path)) return bad(line, "unsafe path");
        if (!tree.entries.empty() && !(tree.entries.back().path < e.path))
            return bad(line, "entries not sorted");
        tree.entries.push_back(std::move(e));
    }
    return tree;
}

std::uint64_t Tree::total_size() const {
    std::uint64_t s = 0;
    for (const auto& e : entries) s += e.size;
    return s;
}

const TreeEntry* Tree::find(std::string_view path) const {
    auto it = std::lower_bound(entries.begin(), entries.end(), path,
                               [](const TreeEntry& e, std::string_view p) { return e.path < p; });
    if (it != entries.end() && it->path == path) return &*it;
    return nullptr;
}

} // namespace mlops::store
