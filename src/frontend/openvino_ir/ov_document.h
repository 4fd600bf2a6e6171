// The parsed form of an IR v11 file: layers, ports and edges as written, plus the weights blob.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mlexport::frontend::openvino_ir {

struct PortDesc {
  int id = 0;
  std::string precision;  // "FP32", "I64", "BOOL"...
  std::vector<int64_t> dims;
  std::vector<std::string> names;  // tensor names (output ports)
};

struct LayerDesc {
  int id = 0;
  std::string name, type, version;
  std::map<std::string, std::string> data;
  std::vector<PortDesc> inputs, outputs;  // in port-id order
};

struct Source {
  int layer = -1;
  int port = -1;  // the producer's port id
};

struct Document {
  std::map<int, LayerDesc> layers;
  std::map<std::pair<int, int>, Source> edge_into;  // (to-layer, to-port) -> producer
  std::map<std::pair<int, int>, int> uses;          // (from-layer, from-port) -> edge count
  std::string blob;
  std::vector<int> order;  // layer ids, producers first
};

// Parses the files; throws kBadInput naming what is wrong.
Document load_document(const std::string& xml_path);

}  // namespace mlexport::frontend::openvino_ir
