#include "service/openapi.h"

namespace mlexport::service {

namespace {

// Kept by hand next to routes.cpp; tests/service checks that every route answers with a status
// listed here and that every route of the server is listed.
const char* const kDocument = R"json({
  "openapi": "3.0.3",
  "info": {
    "title": "mlexport export service",
    "version": "1",
    "description": "Exports the experiments of a workspace to ONNX, OpenVINO IR, TorchScript and PyTorch checkpoints, validates each export, and serves the files. Errors are {\"error\": {\"code\", \"message\", \"field\"}}. With --token every route needs Authorization: Bearer <token> (401 otherwise)."
  },
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "parameters": {
      "pid": {"name": "pid", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"}},
      "id": {"name": "id", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^export-[0-9a-f]{12}$"}}
    },
    "schemas": {
      "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message", "field"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string", "nullable": true}}}}},
      "Options": {"type": "object", "properties": {
        "opset_version": {"type": "integer", "minimum": 11, "maximum": 17, "default": 17},
        "input_shape": {"type": "array", "items": {"type": "integer", "minimum": 1}},
        "dynamic_axes": {"oneOf": [{"type": "boolean"}, {"type": "object"}], "nullable": true},
        "simplify": {"type": "boolean", "default": true},
        "precision": {"type": "string", "enum": ["fp32", "fp16"]},
        "quantize": {"type": "string", "enum": ["none", "int8"]},
        "external_data": {"type": "boolean"},
        "compress_to_fp16": {"type": "boolean"},
        "task": {"type": "string", "enum": ["auto", "classification", "detection", "instance_segmentation", "segmentation", "anomaly", "regression"], "default": "auto"},
        "segmentation_output": {"type": "string", "enum": ["logits", "probabilities", "argmax", "argmax:uint8"], "default": "logits"}}},
      "ExportRequest": {"type": "object", "required": ["experiment_id"], "additionalProperties": false, "properties": {
        "experiment_id": {"type": "string"},
        "checkpoint": {"type": "string", "enum": ["best", "last"], "default": "best"},
        "format": {"type": "string", "default": "onnx"},
        "options": {"$ref": "#/components/schemas/Options"},
        "force": {"type": "boolean", "default": false}}},
      "Export": {"type": "object", "required": ["id", "experiment_id", "checkpoint", "format", "options", "created_at", "status", "output_file", "output_size_mb", "validation"], "properties": {
        "id": {"type": "string"}, "project_id": {"type": "string"}, "experiment_id": {"type": "string"},
        "checkpoint": {"type": "string"}, "format": {"type": "string"},
        "options": {"$ref": "#/components/schemas/Options"},
        "created_at": {"type": "string", "format": "date-time"},
        "status": {"type": "string", "enum": ["queued", "loading", "converting", "validating", "completed", "failed", "cancelled"]},
        "output_file": {"type": "string", "nullable": true},
        "output_size_mb": {"type": "number", "nullable": true},
        "validation": {"type": "object", "nullable": true, "properties": {"passed": {"type": "boolean", "nullable": true}, "max_diff": {"type": "number", "nullable": true}, "status": {"type": "string"}, "report": {"type": "object"}}},
        "timings": {"type": "object"}, "error": {"type": "object", "nullable": true}, "log": {"type": "array", "items": {"type": "string"}},
        "files": {"type": "array"}, "output_sha256": {"type": "string", "nullable": true}, "checkpoint_sha256": {"type": "string"},
        "mlexport_version": {"type": "string"}, "download": {"type": "object", "nullable": true},
        "deduplicated": {"type": "boolean"}}}
    },
    "responses": {
      "BadRequest": {"description": "invalid id, parameter or body", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unauthorized": {"description": "missing or wrong bearer token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NotFound": {"description": "unknown project, experiment, checkpoint or export", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Conflict": {"description": "the export is in the wrong state for this", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Export": {"description": "an export record", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Export"}}}}
    }
  },
  "security": [{"bearer": []}],
  "paths": {
    "/api/openapi.json": {"get": {"summary": "this document", "responses": {"200": {"description": "OpenAPI 3"}, "401": {"$ref": "#/components/responses/Unauthorized"}}}},
    "/api/export/formats": {"get": {"summary": "the format registry: name, display_name, available, unavailable_reason, extensions, options", "responses": {"200": {"description": "{formats: [...]}"}, "401": {"$ref": "#/components/responses/Unauthorized"}}}},
    "/api/projects": {"get": {"summary": "projects of the workspace", "responses": {"200": {"description": "{projects: [{id, name, task, experiment_count}]}"}, "401": {"$ref": "#/components/responses/Unauthorized"}}}},
    "/api/projects/{pid}/experiments": {"get": {"summary": "experiments of a project with the checkpoints that exist", "parameters": [{"$ref": "#/components/parameters/pid"}], "responses": {"200": {"description": "{project, experiments: [{id, architecture, classes, input_size, created_at, metrics, checkpoints}]}"}, "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}},
    "/api/projects/{pid}/exports": {
      "post": {"summary": "queue an export", "parameters": [{"$ref": "#/components/parameters/pid"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ExportRequest"}}}},
        "responses": {"202": {"$ref": "#/components/responses/Export", "description": "queued; Location: /api/export/{id}"}, "200": {"$ref": "#/components/responses/Export", "description": "the same checkpoint content and options already completed (deduplicated: true)"}, "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}, "413": {"description": "body too large"}}},
      "get": {"summary": "exports of a project, newest first (from exports_index.json)", "parameters": [{"$ref": "#/components/parameters/pid"},
          {"name": "status", "in": "query", "schema": {"type": "string"}}, {"name": "format", "in": "query", "schema": {"type": "string"}},
          {"name": "experiment_id", "in": "query", "schema": {"type": "string"}},
          {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}},
          {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}}],
        "responses": {"200": {"description": "{project_id, total, limit, offset, exports: [index entries]}"}, "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}},
    "/api/export/{id}": {
      "get": {"summary": "an export record, read from its export.json", "parameters": [{"$ref": "#/components/parameters/id"}], "responses": {"200": {"$ref": "#/components/responses/Export"}, "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}},
      "delete": {"summary": "remove an export's files and index entry (409 while it runs)", "parameters": [{"$ref": "#/components/parameters/id"}], "responses": {"200": {"description": "{id, deleted: true}"}, "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}, "409": {"$ref": "#/components/responses/Conflict"}}}},
    "/api/export/{id}/events": {"get": {"summary": "Server-Sent Events: event 'stage' (queued, loading, converting, validating, completed, failed, cancelled) and event 'log' ({line}); the stream ends after the last stage; Last-Event-ID resumes", "parameters": [{"$ref": "#/components/parameters/id"}], "responses": {"200": {"description": "text/event-stream"}, "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}},
    "/api/export/{id}/download": {"get": {"summary": "the exported file (a zip for multi-file formats); ?bundle=1 for a zip with export.json, the model and a README; ETag is the SHA-256; Range supported", "parameters": [{"$ref": "#/components/parameters/id"}, {"name": "bundle", "in": "query", "schema": {"type": "integer", "enum": [0, 1]}}, {"name": "Range", "in": "header", "schema": {"type": "string"}}],
      "responses": {"200": {"description": "the file"}, "206": {"description": "the requested range"}, "304": {"description": "If-None-Match matched the ETag"}, "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}, "409": {"$ref": "#/components/responses/Conflict"}, "416": {"description": "range outside the file"}}}},
    "/api/export/{id}/cancel": {"post": {"summary": "cancel a queued or running export", "parameters": [{"$ref": "#/components/parameters/id"}], "responses": {"200": {"$ref": "#/components/responses/Export"}, "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}, "409": {"$ref": "#/components/responses/Conflict"}}}}
  }
})json";

}  // namespace

const nlohmann::json& openapi_document() {
  static const nlohmann::json document = nlohmann::json::parse(kDocument);
  return document;
}

}  // namespace mlexport::service
