#include "output.hpp"

#include <iostream>
#include <sstream>

namespace posemb::cli {

std::string text_or_stdin(const std::string& argument) {
  if (argument != "-") return argument;
  std::ostringstream buffer;
  buffer << std::cin.rdbuf();
  return buffer.str();
}

}  // namespace posemb::cli
