#include "app/cli/interrupt.h"

#include <csignal>
#include <cstring>
#include <unistd.h>

#include "core/image_io.h"

namespace hz::cli {
namespace {

char g_message[256];
std::atomic<bool> g_deferred{false};
std::atomic<bool> g_requested{false};

extern "C" void hzImmediateInterrupt(int) {
    if (g_deferred.load() && !g_requested.exchange(true)) return;
    hz::removePendingTemporaries();
    const ssize_t ignored = ::write(STDERR_FILENO, g_message, std::strlen(g_message));
    (void)ignored;
    ::_exit(130);
}

}  // namespace

void installInterruptHandler(const char* command) {
    std::strncpy(g_message, "harmonizer-cli ", sizeof g_message - 1);
    std::strncat(g_message, command, sizeof g_message - std::strlen(g_message) - 1);
    std::strncat(g_message, ": interrupted; the output being written was discarded\n",
                 sizeof g_message - std::strlen(g_message) - 1);
    struct sigaction action {};
    action.sa_handler = hzImmediateInterrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    // A signal ignored by whoever started us (nohup, a script's background job) stays ignored.
    for (int signal : {SIGINT, SIGTERM}) {
        struct sigaction current {};
        if (sigaction(signal, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) continue;
        sigaction(signal, &action, nullptr);
    }
}

StopFlag::StopFlag() {
    g_requested = false;
    g_deferred = true;
}
StopFlag::~StopFlag() { g_deferred = false; }
bool StopFlag::requested() const { return g_requested.load(); }

}  // namespace hz::cli
