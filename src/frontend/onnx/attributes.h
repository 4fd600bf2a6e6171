// ONNX node attributes as IR attributes. Internal to the ONNX frontend.
#pragma once

#include <onnx/onnx_pb.h>

#include <optional>
#include <string>

#include "frontend/onnx/external_data.h"
#include "ir/graph.h"

namespace mlexport::frontend::onnx {

// The IR form of `a` (floats widen to double, exactly). nullopt, with the reason in *why, for
// kinds the IR cannot hold: graphs (If/Loop/Scan bodies), sparse tensors, type protos.
// Throws mlexport::Error for tensor attributes whose data is malformed.
std::optional<ir::Attribute> attribute_from_proto(const ::onnx::AttributeProto& a,
                                                  const ExternalData& external,
                                                  const std::string& what, std::string* why);

}  // namespace mlexport::frontend::onnx
