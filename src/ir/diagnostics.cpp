#include "mlexport/diagnostics.h"
#include "mlexport/error_codes.h"

namespace mlexport {
namespace {

std::string describe(const std::vector<UnsupportedOp>& ops) {
  std::string text = "No conversion rule found for operations: ";
  for (size_t k = 0; k < ops.size(); ++k) {
    if (k) text += ", ";
    text += ops[k].kind + " (x" + std::to_string(ops[k].count);
    if (!ops[k].where.empty()) text += " at " + ops[k].where.front();
    text += ")";
  }
  return text;
}

}  // namespace

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  return line.size() > 200 ? line.substr(0, 200) + "..." : line;
}

UnsupportedOpsError::UnsupportedOpsError(std::vector<UnsupportedOp> ops)
    : Error(ExitCode::kUnsupportedOps, describe(ops)), ops_(std::move(ops)) {}

std::string exit_code_name(int exit_code) {
  switch (static_cast<ExitCode>(exit_code)) {
    case ExitCode::kValidationFailed:
      return "validation_failed";
    case ExitCode::kBadInput:
      return "bad_input";
    case ExitCode::kUnsupportedOps:
      return "unsupported_ops";
    case ExitCode::kInternal:
      return "internal";
    case ExitCode::kTraceFailed:
      return "trace_failed";
    default:
      return "";
  }
}

}  // namespace mlexport
