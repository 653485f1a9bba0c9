#include <iostream>

#include "commands.hpp"

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false);
    mlops::cli::Context ctx(std::cout, std::cerr);
    int code = mlops::cli::run_main(argc, argv, ctx);
    std::cout.flush();
    return code;
}
