// A plugin for plugin_test.cpp: exports a versioned table, as libmlops_torch.so does.
struct TestTable {
    int version;
    int (*add)(int, int);
};

static int add(int a, int b) { return a + b; }
static const TestTable k_table{1, add};

extern "C" const void* mlops_test_plugin_v1() { return &k_table; }
