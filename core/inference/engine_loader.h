#pragma once
// Opens the inference module (engine.h) on first use: the editor starts, paints, renders and
// exports without LibTorch in the process, and the first Harmonize or Select Subject pays the
// load (measured by engineLoadMs(), reported by `harmonizer-studio --benchmark`).
#include <string>

#include "core/inference/engine.h"

namespace hz::inference {

// The environment variable that replaces the module's path (packagers, and tests that point
// it at a missing or broken file).
inline constexpr const char* kEngineLibraryVariable = "HARMONIZER_INFERENCE_LIBRARY";

// $HARMONIZER_INFERENCE_LIBRARY when set, else <exe dir>/../lib/harmonizer-studio/
// libhz_inference.so: the same place in the build tree and once installed.
std::string engineLibraryPath();

// The engine, loading the module on the first call; thread-safe. Throws hz::Error
// "cannot load the network library PATH: REASON" (one line). A failure is not remembered:
// the next call tries again (the file may have been put back).
Engine& loadEngine();

// Whether loadEngine() has succeeded in this process.
bool engineLoaded();
// Milliseconds the successful load took (opening the module and LibTorch); 0 before.
double engineLoadMs();

}  // namespace hz::inference
