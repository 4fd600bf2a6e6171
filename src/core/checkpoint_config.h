// The config.json that training scripts and Hugging Face-style exports leave beside a checkpoint:
// the architecture, the number of classes and the input size, in the keys the checkpoint uses too.
#pragma once

#include <string>
#include <string_view>

#include "core/checkpoint_info.h"

namespace mlexport::core {

// The conventional keys, most specific first (shared with the checkpoint's own dicts).
inline constexpr const char* kArchKeys[] = {"model_name", "arch",     "architecture", "model_arch",
                                            "model_type", "backbone", "model"};
inline constexpr const char* kClassKeys[] = {"num_classes", "n_classes", "number_of_classes"};
inline constexpr const char* kInputKeys[] = {"input_size", "image_size", "img_size", "input_shape",
                                             "resolution"};
inline constexpr const char* kTaskKeys[] = {"task", "task_type"};
inline constexpr const char* kOutputKeys[] = {"num_outputs", "n_outputs", "output_dim"};
// A list of names, or a dict name -> index (class_to_idx) / index -> name (idx_to_class).
inline constexpr const char* kClassNameKeys[] = {"class_names", "classes",      "labels",
                                                 "categories",  "class_to_idx", "idx_to_class"};

// Fills arch, num_classes and input_chw from the text of a config.json. `what` names the file in
// errors. Throws bad_input (one line) for text that is not a JSON object or keys of the wrong type.
void apply_checkpoint_config(std::string_view text, const std::string& what, CheckpointInfo& info);

}  // namespace mlexport::core
