#include "service/routes.h"

#include <httplib.h>

#include <fstream>
#include <memory>

#include "service/export_request.h"
#include "service/export_service.h"
#include "service/openapi.h"
#include "store/errors.h"

namespace mlexport::service {

namespace {

using nlohmann::json;
using store::RequestError;

const char* status_code_name(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 416:
      return "range_not_satisfiable";
    default:
      return status >= 500 ? "internal" : "error";
  }
}

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(2), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message, const std::string& field = "") {
  send_json(res, status,
            {{"error",
              {{"code", code},
               {"message", message},
               {"field", field.empty() ? json(nullptr) : json(field)}}}});
}

// Runs a handler, turning RequestError (and anything unexpected) into the API's error shape.
httplib::Server::Handler guarded(
    std::function<void(const httplib::Request&, httplib::Response&)> fn) {
  return [fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    try {
      fn(req, res);
    } catch (const RequestError& e) {
      send_error(res, e.status, e.code, e.what(), e.field);
    } catch (const std::exception& e) {
      send_error(res, 500, "internal", e.what());
    }
  };
}

std::string sse_frame(size_t id, const Event& event) {
  return "id: " + std::to_string(id) + "\nevent: " + event.type + "\ndata: " + event.data.dump() +
         "\n\n";
}

// An export whose stream is no longer in memory (finished before a restart): its stages and log
// from the record, then the end.
std::vector<Event> events_from_record(const json& record) {
  std::vector<Event> events;
  for (const auto& s : record.value("stages", json::array()))
    if (s.value("stage", "") == "queued" || s.value("stage", "") == "loading")
      events.push_back({"stage", {{"stage", s["stage"]}, {"status", s["stage"]}}});
  for (const auto& line : record.value("log", json::array()))
    events.push_back({"log", {{"line", line}}});
  const std::string status = record.value("status", "");
  json data = {{"stage", status}, {"status", status}};
  if (status == "completed" || status == "failed" || status == "cancelled") {
    data["validation"] = record["validation"];
    data["error"] = record["error"];
  }
  events.push_back({"stage", data});
  return events;
}

void serve_file(const httplib::Request& req, httplib::Response& res,
                const ExportService::Download& d) {
  const std::string etag = "\"" + d.sha256 + "\"";
  res.set_header("ETag", etag);
  res.set_header("Accept-Ranges", "bytes");
  res.set_header("Content-Disposition", "attachment; filename=\"" + d.filename + "\"");
  if (req.get_header_value("If-None-Match") == etag) {
    res.status = 304;
    return;
  }
  // A Range for another version of the file must not be stitched onto this one.
  if (req.has_header("If-Range") && req.get_header_value("If-Range") != etag) {
    const_cast<httplib::Request&>(req).ranges.clear();
  }
  // A range that starts past the end cannot be served (httplib would answer 206 with nothing).
  for (const auto& [first, last] : req.ranges) {
    if ((first >= 0 && static_cast<uintmax_t>(first) >= d.size) || (first < 0 && last <= 0)) {
      const_cast<httplib::Request&>(req).ranges.clear();  // the error body is not a range
      res.set_header("Content-Range", "bytes */" + std::to_string(d.size));
      send_error(res, 416, "range_not_satisfiable",
                 "the range starts beyond the file's " + std::to_string(d.size) + " bytes",
                 "Range");
      return;
    }
  }
  auto file = std::make_shared<std::ifstream>(d.file, std::ios::binary);
  if (!*file) throw RequestError(410, "gone", "the exported file is missing");
  // httplib answers Range requests itself (206 + Content-Range, 416 when out of bounds) from a
  // provider that can read at any offset.
  res.set_content_provider(
      d.size, d.content_type, [file](size_t offset, size_t length, httplib::DataSink& sink) {
        std::vector<char> buffer(std::min<size_t>(length, 1 << 16));
        file->seekg(static_cast<std::streamoff>(offset));
        size_t left = length;
        while (left > 0) {
          file->read(buffer.data(), static_cast<std::streamsize>(std::min(left, buffer.size())));
          const auto n = static_cast<size_t>(file->gcount());
          if (n == 0 || !sink.write(buffer.data(), n)) return false;
          left -= n;
        }
        return true;
      });
}

}  // namespace

void add_routes(httplib::Server& server, ExportService& service, const RouteOptions& options) {
  server.set_payload_max_length(options.max_body_bytes);

  const std::string token = options.token;
  server.set_pre_routing_handler([token](const httplib::Request& req, httplib::Response& res) {
    if (token.empty() || req.path.rfind("/api/", 0) != 0)
      return httplib::Server::HandlerResponse::Unhandled;
    const std::string expected = "Bearer " + token;
    const std::string given = req.get_header_value("Authorization");
    // Compared in constant time, so the token cannot be guessed byte by byte from timings.
    unsigned diff = given.size() != expected.size();
    for (size_t k = 0; k < given.size() && k < expected.size(); ++k) diff |= given[k] ^ expected[k];
    if (diff == 0) return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, 401, "unauthorized", "this server needs Authorization: Bearer <token>");
    return httplib::Server::HandlerResponse::Handled;
  });
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty() || res.status < 400)
          return httplib::Server::HandlerResponse::Unhandled;
        std::string message = status_code_name(res.status);
        if (res.status == 404) message = "no route " + req.method + " " + req.path;
        if (res.status == 413) message = "the request body is larger than the server accepts";
        send_error(res, res.status, status_code_name(res.status), message);
        return httplib::Server::HandlerResponse::Handled;
      }));

  server.Get("/api/openapi.json", guarded([](const httplib::Request&, httplib::Response& res) {
               send_json(res, 200, openapi_document());
             }));
  server.Get("/api/export/formats",
             guarded([&service](const httplib::Request&, httplib::Response& res) {
               send_json(res, 200, {{"formats", service.formats().formats()}});
             }));
  server.Get("/api/projects", guarded([&service](const httplib::Request&, httplib::Response& res) {
               send_json(res, 200, {{"projects", service.workspace().list_projects()}});
             }));
  server.Get(R"(/api/projects/([^/]+)/experiments)",
             guarded([&service](const httplib::Request& req, httplib::Response& res) {
               const std::string pid = req.matches[1];
               send_json(res, 200,
                         {{"project", service.workspace().project(pid)},
                          {"experiments", service.workspace().list_experiments(pid)}});
             }));
  server.Post(R"(/api/projects/([^/]+)/exports)",
              guarded([&service](const httplib::Request& req, httplib::Response& res) {
                auto submitted = service.submit(req.matches[1], parse_json_body(req.body));
                res.set_header("Location",
                               "/api/export/" + submitted.record["id"].get<std::string>());
                send_json(res, submitted.status, submitted.record);
              }));
  server.Get(R"(/api/projects/([^/]+)/exports)",
             guarded([&service](const httplib::Request& req, httplib::Response& res) {
               std::map<std::string, std::string> query;
               for (const auto& [key, value] : req.params) query.emplace(key, value);
               send_json(res, 200, service.list(req.matches[1], query));
             }));
  server.Get(R"(/api/export/([^/]+))",
             guarded([&service](const httplib::Request& req, httplib::Response& res) {
               send_json(res, 200, service.get(req.matches[1]));
             }));
  server.Delete(R"(/api/export/([^/]+))",
                guarded([&service](const httplib::Request& req, httplib::Response& res) {
                  const std::string id = req.matches[1];
                  service.remove(id);
                  send_json(res, 200, {{"id", id}, {"deleted", true}});
                }));
  server.Post(R"(/api/export/([^/]+)/cancel)",
              guarded([&service](const httplib::Request& req, httplib::Response& res) {
                send_json(res, 200, service.cancel(req.matches[1]));
              }));
  server.Get(R"(/api/export/([^/]+)/download)",
             guarded([&service](const httplib::Request& req, httplib::Response& res) {
               const std::string bundle = req.get_param_value("bundle");
               if (!bundle.empty() && bundle != "0" && bundle != "1")
                 throw store::invalid("bundle must be 0 or 1", "bundle");
               serve_file(req, res, service.download(req.matches[1], bundle == "1"));
             }));
  server.Get(R"(/api/export/([^/]+)/events)",
             guarded([&service](const httplib::Request& req, httplib::Response& res) {
               const std::string id = req.matches[1];
               const json record = service.get(id);  // 400/404 before the stream starts
               size_t start = 0;
               if (req.has_header("Last-Event-ID")) {
                 try {
                   start = std::stoul(req.get_header_value("Last-Event-ID")) + 1;
                 } catch (...) {
                   start = 0;
                 }
               }
               res.set_header("Cache-Control", "no-cache");
               EventHub& hub = service.events();
               if (!hub.has(id)) {
                 std::string body;
                 const auto events = events_from_record(record);
                 for (size_t k = start; k < events.size(); ++k) body += sse_frame(k, events[k]);
                 res.set_content(body, "text/event-stream");
                 return;
               }
               auto cursor = std::make_shared<size_t>(start);
               res.set_chunked_content_provider(
                   "text/event-stream", [&hub, id, cursor](size_t, httplib::DataSink& sink) {
                     bool finished = false;
                     auto events = hub.read(id, *cursor, std::chrono::seconds(10), &finished);
                     for (const auto& e : events) {
                       const std::string frame = sse_frame((*cursor)++, e);
                       if (!sink.write(frame.data(), frame.size())) return false;
                     }
                     if (finished && events.empty()) {
                       sink.done();
                     } else if (events.empty()) {
                       static const std::string ping = ": keep-alive\n\n";
                       if (!sink.write(ping.data(), ping.size())) return false;
                     }
                     return true;
                   });
             }));

  if (!options.web_dir.empty()) server.set_mount_point("/", options.web_dir);
}

}  // namespace mlexport::service
