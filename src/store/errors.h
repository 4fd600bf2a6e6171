// An error a request can cause, with the HTTP status and the request field it names.
#pragma once

#include <stdexcept>
#include <string>

namespace mlexport::store {

struct RequestError : std::runtime_error {
  RequestError(int status, std::string code, const std::string& message, std::string field = "")
      : std::runtime_error(message),
        status(status),
        code(std::move(code)),
        field(std::move(field)) {}
  int status;         // 400, 404, 409, ...
  std::string code;   // "not_found", "invalid_option", ...
  std::string field;  // "options.opset_version"; empty when no single field is at fault
};

inline RequestError not_found(const std::string& what, const std::string& field = "") {
  return RequestError(404, "not_found", what + " not found", field);
}
inline RequestError invalid(const std::string& message, const std::string& field) {
  return RequestError(400, "invalid_request", message, field);
}

}  // namespace mlexport::store
