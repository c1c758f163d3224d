// harmonizer-cli: every subcommand registers itself in cli_common's registry.
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <c10/util/Exception.h>
#include <opencv2/core/utils/logger.hpp>

#include "app/cli/cli_common.h"
#include "core/image_io.h"
#include "core/paths.h"
#include "core/runtime.h"

namespace {

void printOverview() {
    std::printf("harmonizer-cli %s: white-box image harmonization (six photo filters predicted by a network)\n\n",
                hz::versionString().c_str());
    std::printf("Usage: harmonizer-cli COMMAND [OPTIONS]\n       harmonizer-cli COMMAND --help\n\nCommands:\n");
    for (const auto& command : hz::cli::registry())
        std::printf("  %-14s %s\n", command.name.c_str(), command.summary.c_str());
    std::printf("\n  --version    print the version\n  --help       print this help\n");
}

// Errors are one line: OpenCV's assertions and LibTorch's backtraces span many.
std::string oneLine(const std::exception& e) {
    std::string text;
    if (const auto* torch = dynamic_cast<const c10::Error*>(&e)) text = std::string("LibTorch: ") + torch->what_without_backtrace();
    else if (const auto* cv = dynamic_cast<const cv::Exception*>(&e)) text = "OpenCV: " + cv->err;
    else text = e.what();
    const auto end = text.find('\n');
    if (end != std::string::npos) text = text.substr(0, end);
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    hz::relaunchWithPassiveOpenMpWait(argc, argv);
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
    // Past a file-size limit a write must fail with EFBIG (and the output be discarded),
    // not kill the process midway.
    std::signal(SIGXFSZ, SIG_IGN);
    // FFmpeg's own lines ("[mov,mp4,...] moov atom not found") name no file and no command;
    // damage is reported by our checks instead (AV_LOG_QUIET = -8).
    ::setenv("OPENCV_FFMPEG_LOGLEVEL", "-8", /*overwrite=*/0);
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        printOverview();
        return 2;
    }
    if (args[0] == "--version" || args[0] == "-V") {
        std::printf("harmonizer-cli %s\n", hz::versionString().c_str());
        return 0;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        printOverview();
        return 0;
    }
    for (const auto& command : hz::cli::registry()) {
        if (command.name != args[0]) continue;
        return hz::cli::runCommand(command, std::vector<std::string>(args.begin() + 1, args.end()), oneLine);
    }
    std::fprintf(stderr, "harmonizer-cli: unknown command '%s' (see --help)\n", args[0].c_str());
    return 2;
}
