// The parsed form of an IR v11 file: layers, ports and edges as written, plus the weights blob.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlexport::frontend::openvino_ir {

struct PortDesc {
  int id = 0;
  std::string precision;  // "FP32", "I64", "BOOL"...
  std::vector<int64_t> dims;
  std::vector<std::string> names;  // tensor names (output ports)
};

// One entry of a port map: an outer port of If/Loop and the body's Parameter or Result.
struct PortMapEntry {
  bool output = false;
  int external = -1;  // -1: not connected outside (Loop's current iteration and condition)
  int internal = -1;  // a layer id of the body
  std::optional<int64_t> axis;
  std::string purpose;  // "current_iteration", "execution_condition" or empty
};

struct Document;

// A body network of If (then_body, else_body) or Loop (body) with its port map.
struct BodyDesc {
  std::shared_ptr<Document> net;
  std::vector<PortMapEntry> port_map;
  std::vector<std::pair<int, int>> back_edges;  // (Result, Parameter) layer ids of the body
};

struct LayerDesc {
  int id = 0;
  std::string name, type, version;
  std::map<std::string, std::string> data;
  std::vector<PortDesc> inputs, outputs;   // in port-id order
  std::map<std::string, BodyDesc> bodies;  // by tag: "then_body", "else_body", "body"
};

struct Source {
  int layer = -1;
  int port = -1;  // the producer's port id
};

struct Document {
  std::map<int, LayerDesc> layers;
  std::map<std::pair<int, int>, Source> edge_into;  // (to-layer, to-port) -> producer
  std::map<std::pair<int, int>, int> uses;          // (from-layer, from-port) -> edge count
  std::shared_ptr<const std::string> blob;          // the .bin, shared with the bodies
  std::vector<int> order;                           // layer ids, producers first
};

// Parses the files; throws kBadInput naming what is wrong.
Document load_document(const std::string& xml_path);

}  // namespace mlexport::frontend::openvino_ir
