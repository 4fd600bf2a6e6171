#include "frontend/openvino_ir/ov_document.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <pugixml.hpp>
#include <sstream>

#include "mlexport/diagnostics.h"

namespace mlexport::frontend::openvino_ir {

namespace {

Error bad(const std::string& path, const std::string& what) {
  return bad_input("OpenVINO IR " + path + ": " + what);
}

int to_int(const std::string& path, const char* text, const std::string& what) {
  try {
    size_t used = 0;
    int v = std::stoi(text, &used);
    if (used != std::string(text).size()) throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    throw bad(path, what + " '" + text + "' is not an integer");
  }
}

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (c != ' ' || !cur.empty()) {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::vector<PortDesc> read_ports(const std::string& path, pugi::xml_node group) {
  std::vector<PortDesc> ports;
  for (pugi::xml_node p : group.children("port")) {
    PortDesc d;
    d.id = to_int(path, p.attribute("id").value(), "port id");
    d.precision = p.attribute("precision").value();
    d.names = split_names(p.attribute("names").value());
    for (pugi::xml_node dim : p.children("dim"))
      d.dims.push_back(to_int(path, dim.text().get(), "dim"));
    ports.push_back(std::move(d));
  }
  std::sort(ports.begin(), ports.end(),
            [](const PortDesc& a, const PortDesc& b) { return a.id < b.id; });
  return ports;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw bad_input("cannot read " + path);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// How deep bodies may nest: a hostile file must not exhaust the stack.
constexpr int kMaxNesting = 16;

Document read_network(const std::string& xml_path, pugi::xml_node net,
                      std::shared_ptr<const std::string> blob, int depth);

PortMapEntry read_port_map_entry(const std::string& path, pugi::xml_node e, bool output) {
  PortMapEntry m;
  m.output = output;
  m.external = to_int(path, e.attribute("external_port_id").value(), "external_port_id");
  m.internal = to_int(path, e.attribute("internal_layer_id").value(), "internal_layer_id");
  if (e.attribute("axis")) m.axis = to_int(path, e.attribute("axis").value(), "axis");
  m.purpose = e.attribute("purpose").value();
  return m;
}

void read_bodies(const std::string& path, pugi::xml_node x, LayerDesc& l,
                 const std::shared_ptr<const std::string>& blob, int depth) {
  static const std::pair<const char*, const char*> kBodies[] = {
      {"then_body", "then_port_map"}, {"else_body", "else_port_map"}, {"body", "port_map"}};
  for (const auto& [body_tag, map_tag] : kBodies) {
    pugi::xml_node body = x.child(body_tag);
    if (!body) continue;
    if (depth >= kMaxNesting)
      throw bad(path, "bodies nest deeper than " + std::to_string(kMaxNesting) + " levels");
    BodyDesc d;
    d.net = std::make_shared<Document>(read_network(path, body, blob, depth + 1));
    for (pugi::xml_node e : x.child(map_tag).children("input"))
      d.port_map.push_back(read_port_map_entry(path, e, false));
    for (pugi::xml_node e : x.child(map_tag).children("output"))
      d.port_map.push_back(read_port_map_entry(path, e, true));
    for (pugi::xml_node e : x.child("back_edges").children("edge"))
      d.back_edges.emplace_back(to_int(path, e.attribute("from-layer").value(), "from-layer"),
                                to_int(path, e.attribute("to-layer").value(), "to-layer"));
    l.bodies[body_tag] = std::move(d);
  }
}

Document read_network(const std::string& xml_path, pugi::xml_node net,
                      std::shared_ptr<const std::string> blob, int depth) {
  Document doc;
  doc.blob = std::move(blob);
  for (pugi::xml_node x : net.child("layers").children("layer")) {
    LayerDesc l;
    l.id = to_int(xml_path, x.attribute("id").value(), "layer id");
    l.name = x.attribute("name").value();
    l.type = x.attribute("type").value();
    l.version = x.attribute("version").value();
    for (pugi::xml_attribute a : x.child("data").attributes()) l.data[a.name()] = a.value();
    l.inputs = read_ports(xml_path, x.child("input"));
    l.outputs = read_ports(xml_path, x.child("output"));
    read_bodies(xml_path, x, l, doc.blob, depth);
    if (doc.layers.count(l.id)) throw bad(xml_path, "layer id " + std::to_string(l.id) + " twice");
    doc.layers[l.id] = std::move(l);
  }
  std::map<int, std::vector<int>> successors;
  std::map<int, int> indegree;
  for (const auto& [id, l] : doc.layers) indegree[id] = 0;
  for (pugi::xml_node e : net.child("edges").children("edge")) {
    Source s{to_int(xml_path, e.attribute("from-layer").value(), "from-layer"),
             to_int(xml_path, e.attribute("from-port").value(), "from-port")};
    int tl = to_int(xml_path, e.attribute("to-layer").value(), "to-layer");
    int tp = to_int(xml_path, e.attribute("to-port").value(), "to-port");
    if (!doc.layers.count(s.layer) || !doc.layers.count(tl))
      throw bad(xml_path, "an edge names layer " +
                              std::to_string(doc.layers.count(s.layer) ? tl : s.layer) +
                              " which does not exist");
    if (!doc.edge_into.emplace(std::make_pair(tl, tp), s).second)
      throw bad(xml_path,
                "two edges into port " + std::to_string(tp) + " of layer " + std::to_string(tl));
    ++doc.uses[{s.layer, s.port}];
    successors[s.layer].push_back(tl);
    ++indegree[tl];
  }
  // Producers first, whatever order the file lists layers in.
  std::vector<int> ready;
  for (const auto& [id, d] : indegree)
    if (d == 0) ready.push_back(id);
  std::reverse(ready.begin(), ready.end());
  while (!ready.empty()) {
    int id = ready.back();
    ready.pop_back();
    doc.order.push_back(id);
    for (int s : successors[id])
      if (--indegree[s] == 0) ready.push_back(s);
  }
  if (doc.order.size() != doc.layers.size()) throw bad(xml_path, "the graph has a cycle");
  return doc;
}

}  // namespace

Document load_document(const std::string& xml_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(xml_path, ec)) throw bad_input("no OpenVINO IR file at " + xml_path);
  pugi::xml_document xml;
  pugi::xml_parse_result parsed = xml.load_file(xml_path.c_str());
  if (!parsed) throw bad(xml_path, std::string("malformed XML: ") + parsed.description());
  pugi::xml_node net = xml.child("net");
  if (!net) throw bad(xml_path, "no <net> element");
  std::string version = net.attribute("version").value();
  if (version != "10" && version != "11")
    throw bad(xml_path, "IR version " + version + " is not 10 or 11");
  fs::path bin = fs::path(xml_path).replace_extension(".bin");
  auto blob = std::make_shared<std::string>();
  if (fs::exists(bin, ec)) *blob = read_all(bin.string());
  return read_network(xml_path, net, std::move(blob), 0);
}

}  // namespace mlexport::frontend::openvino_ir
