// Checkpoint readers that need neither LibTorch nor Python: torch.save files (zip and legacy) read
// by mlexport's own safe unpickler, and .safetensors files.
#pragma once

#include "frontend/checkpoint/pickle.h"              // policy on globals, load_pickle_bytes
#include "frontend/checkpoint/safetensors.h"         // load_safetensors
#include "frontend/checkpoint/state_dict_tensors.h"  // tensors_of
#include "frontend/checkpoint/torch_file.h"          // load_torch_file, load_torch_bytes
#include "pyvalue/value.h"                           // Value
