#include "runtime.h"

#include <cstdlib>
#include <unistd.h>

namespace hz {

void relaunchWithPassiveOpenMpWait(int argc, char** argv) {
    if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
    if (::setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0) return;
    (void)argc;
    ::execv("/proc/self/exe", argv);
    // exec failed: carry on with the policy unset for this process (slower, still correct).
}

}  // namespace hz
