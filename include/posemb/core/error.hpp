#pragma once
// The one exception type posemb throws. Its message names what was wrong and where
// (file, byte offset, tensor, parameter), so that a CLI can print it as it is.
#include <stdexcept>
#include <string>

namespace posemb {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace posemb
