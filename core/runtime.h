#pragma once
// Process-level settings every executable applies first thing in main().

namespace hz {

// LibTorch's OpenMP workers spin-wait between parallel regions. When another thread of
// ours (the GUI, a video decoder, a batch builder) or another process needs the same
// core, a 2-thread prediction measured ~1 s instead of ~20 ms. libgomp reads
// OMP_WAIT_POLICY only at load time, so when the user has not chosen a policy we set
// PASSIVE and re-execute the program once (about 0.3 s). Returns only when no re-exec
// happened (policy already set, or exec failed).
void relaunchWithPassiveOpenMpWait(int argc, char** argv);

}  // namespace hz
