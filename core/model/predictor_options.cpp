#include "core/model/predictor_options.h"

#include "core/error.h"

namespace hz {

DeviceChoice parseDeviceChoice(const std::string& text) {
    if (text == "auto") return DeviceChoice::Auto;
    if (text == "cpu") return DeviceChoice::Cpu;
    if (text == "cuda") return DeviceChoice::Cuda;
    throw Error("unknown device '" + text + "' (expected auto, cpu or cuda)");
}

}  // namespace hz
