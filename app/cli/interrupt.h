#pragma once
// SIGINT/SIGTERM for the commands that write files (video and train install their own).
//
// By default an interrupt deletes the temporary files of writes in progress, prints
// "harmonizer-cli COMMAND: interrupted; ..." and exits with status 130 at once: a single
// write is atomic, so the previous output (if any) stays as it was. A batch instead asks
// for a flag (StopFlag) and stops after the item in progress, printing its summary; a
// second signal exits at once as above.
#include <atomic>

namespace hz::cli {

// Installs the immediate handler for `command` (called once from main).
void installInterruptHandler(const char* command);

// While alive, the first SIGINT/SIGTERM sets requested() instead of exiting.
class StopFlag {
public:
    StopFlag();
    ~StopFlag();
    StopFlag(const StopFlag&) = delete;
    StopFlag& operator=(const StopFlag&) = delete;
    bool requested() const;
};

}  // namespace hz::cli
