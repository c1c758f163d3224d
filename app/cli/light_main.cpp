// harmonizer-cli, the launcher. `--version` and `apply` (which renders, and never runs the
// network) are answered here, in a program that does not load LibTorch: it starts in a few
// milliseconds instead of the ~0.25 s (and, with the OpenMP re-exec, twice that) that
// loading LibTorch costs. Every other command is handed to harmonizer-cli-full beside this
// file with exec(), after setting OMP_WAIT_POLICY=PASSIVE when the user has not chosen a
// policy, so that program does not need to re-execute itself (see core/runtime.h).
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <unistd.h>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "app/cli/cli_common.h"
#include "core/paths.h"

namespace {

int runFull(char** argv) {
    const std::string full = hz::executableDir() + "/harmonizer-cli-full";
    if (std::getenv("OMP_WAIT_POLICY") == nullptr) ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    ::execv(full.c_str(), argv);
    std::fprintf(stderr, "harmonizer-cli: error: cannot run %s: %s\n", full.c_str(), std::strerror(errno));
    return 1;
}

// OpenCV's assertions span several lines; the product's errors are one line.
std::string oneLine(const std::exception& e) {
    std::string text = e.what();
    if (const auto* cv = dynamic_cast<const cv::Exception*>(&e)) text = "OpenCV: " + cv->err;
    const auto end = text.find('\n');
    return end == std::string::npos ? text : text.substr(0, end);
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && (args[0] == "--version" || args[0] == "-V")) {
        std::printf("harmonizer-cli %s\n", hz::versionString().c_str());
        return 0;
    }
    // Only the commands compiled into this program are registered here (apply).
    for (const auto& command : hz::cli::registry()) {
        if (args.empty() || command.name != args[0]) continue;
        cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
        // As in harmonizer-cli-full: a write past a file-size limit fails, it does not kill us.
        std::signal(SIGXFSZ, SIG_IGN);
        return hz::cli::runCommand(command, std::vector<std::string>(args.begin() + 1, args.end()), oneLine);
    }
    return runFull(argv);
}
