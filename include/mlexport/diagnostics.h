// Errors that carry the process exit code the CLI documents.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace mlexport {

enum class ExitCode : int {
  kOk = 0,
  kValidationFailed = 1,
  kBadInput = 2,
  kUnsupportedOps = 3,
  kInternal = 4,
  // The model could not be traced or frozen: LibTorch refused it before any op was translated.
  kTraceFailed = 5,
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// The first line of a library's error message, clipped: errors are reported in one line.
std::string first_line(const std::string& text);

// Bad user input: a missing file, a malformed archive, a bad flag value.
inline Error bad_input(const std::string& message) {
  return Error(ExitCode::kBadInput, message);
}

// Every op without a conversion rule, gathered in one report.
struct UnsupportedOp {
  std::string kind;  // "aten::foo"
  int count = 0;
  std::vector<std::string> where;  // module scopes / source lines (first few)
};

class UnsupportedOpsError : public Error {
 public:
  explicit UnsupportedOpsError(std::vector<UnsupportedOp> ops);
  const std::vector<UnsupportedOp>& ops() const { return ops_; }

 private:
  std::vector<UnsupportedOp> ops_;
};

}  // namespace mlexport
