#include "core/inference/engine_loader.h"

#include <dlfcn.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "core/error.h"
#include "core/paths.h"

namespace hz::inference {

namespace {

std::mutex gMutex;
Engine* gEngine = nullptr;
double gLoadMs = 0.0;

// dlerror() starts with the path we already name; keep only the reason.
std::string reasonOf(const char* error, const std::string& path) {
    std::string text = error != nullptr ? error : "unknown error";
    if (text.rfind(path + ": ", 0) == 0) text.erase(0, path.size() + 2);
    const auto end = text.find('\n');
    return end == std::string::npos ? text : text.substr(0, end);
}

}  // namespace

std::string engineLibraryPath() {
    if (const char* path = std::getenv(kEngineLibraryVariable); path != nullptr && *path != '\0') return path;
    const std::filesystem::path bin = executableDir();
    return (bin.parent_path() / "lib/harmonizer-studio/libhz_inference.so").lexically_normal().string();
}

Engine& loadEngine() {
    std::lock_guard<std::mutex> lock(gMutex);
    if (gEngine != nullptr) return *gEngine;
    const std::string path = engineLibraryPath();
    const auto start = std::chrono::steady_clock::now();
    // RTLD_LOCAL: the module's copy of our core libraries stays its own. Never closed:
    // LibTorch does not support being unloaded.
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr)
        throw Error("cannot load the network library " + path + ": " + reasonOf(::dlerror(), path));
    auto create = reinterpret_cast<HzCreateEngineFn>(::dlsym(handle, HZ_CREATE_ENGINE_SYMBOL));
    if (create == nullptr)
        throw Error("cannot load the network library " + path + ": it has no " HZ_CREATE_ENGINE_SYMBOL);
    Engine* engine = create(kEngineAbi);
    if (engine == nullptr)
        throw Error("cannot load the network library " + path + ": it was built for another version of the program");
    gLoadMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    gEngine = engine;
    return *gEngine;
}

bool engineLoaded() {
    std::lock_guard<std::mutex> lock(gMutex);
    return gEngine != nullptr;
}

double engineLoadMs() {
    std::lock_guard<std::mutex> lock(gMutex);
    return gLoadMs;
}

}  // namespace hz::inference
