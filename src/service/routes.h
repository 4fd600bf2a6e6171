// The HTTP API: each route parses and checks its request, then calls the ExportService.
#pragma once

#include <string>

namespace httplib {
class Server;
}

namespace mlexport::service {

class ExportService;

struct RouteOptions {
  std::string token;    // when set, every /api/ route needs "Authorization: Bearer <token>"
  std::string web_dir;  // the Export page's static files, served at / when the folder exists
  size_t max_body_bytes = 64 * 1024;
};

void add_routes(httplib::Server& server, ExportService& service, const RouteOptions& options);

}  // namespace mlexport::service
