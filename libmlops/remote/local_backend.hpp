// A remote in a local (or mounted network) folder: `<root>/<key>`, written like the object store
// (restic's local backend): a temporary file in `<root>/.tmp`, then rename into place, so a reader
// never sees a partial object under its final name. Syncs are batched: flush() (and every few
// hundred objects) makes the written files durable with one syncfs before they are renamed.
// Fetching from a folder on the same filesystem hardlinks the remote's object (objects are
// read-only and never change), as `git clone` of a local path does; the content is still read
// and hashed. Another filesystem, or a link the system refuses, falls back to a copy.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <mlops/remote/backend.hpp>

namespace mlops::remote {

enum class CreateRoot { no, yes };
enum class LinkOnGet { no, yes };

class LocalBackend : public Backend {
  public:
    // `root` is absolute. With CreateRoot::no a missing root is Fault::no_bucket at first use.
    LocalBackend(std::string root, CreateRoot create, LinkOnGet link = LinkOnGet::no);
    ~LocalBackend() override;
    std::string location() const override { return m_root; }
    Result<bool> exists(const std::string& key) override;
    Result<GetInfo> get(const std::string& key, const std::string& dest) override;
    Status put(const std::string& key, const std::string& src, const PutInfo& info) override;
    Status list(const std::string& prefix, const std::function<Status(const ObjectInfo&)>& each) override;
    Status remove(const std::string& key) override;
    Status flush() override;
    bool cheap_exists() const override { return true; }

  private:
    Status check_key(const std::string& key) const;
    Status ensure_root();
    Status flush_locked();
    std::string m_root;
    CreateRoot m_create;
    LinkOnGet m_link;
    std::mutex m_mutex;
    bool m_root_ok = false;
    // Written and closed, not yet synced and renamed: key -> temporary file.
    std::unordered_map<std::string, std::string> m_pending;
    std::vector<std::pair<std::string, std::string>> m_order; // the same, in put order
    std::uint64_t m_pending_bytes = 0;
};

} // namespace mlops::remote
