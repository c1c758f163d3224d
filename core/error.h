#pragma once
// hz::Error: a user-facing failure whose message names the file and the problem.
// Its own header (no OpenCV, no Qt) so that code which only has LibTorch (the network, the
// .hzm container reader, tools/gpu_check) can throw it too.
#include <stdexcept>

namespace hz {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace hz
