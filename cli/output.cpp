#include "output.hpp"

#include <cstdio>
#include <iostream>
#include <sstream>

#include "posemb/io/file.hpp"

namespace posemb::cli {

std::string text_or_stdin(const std::string& argument) {
  if (argument != "-") return argument;
  std::ostringstream buffer;
  buffer << std::cin.rdbuf();
  return buffer.str();
}

void write_output(const std::string& bytes, const std::string& path) {
  if (path.empty())
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  else
    io::write_file_atomically(path, bytes);
}

}  // namespace posemb::cli
