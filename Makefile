# Two entry points for a fresh Debian 12 machine: `make demo` and `make test`.
BUILD ?= build
JOBS ?= 2

.PHONY: setup build demo test compat torchvision detection clean format operators-doc fuzz \
	fuzz-campaign serve

setup:
	bash scripts/setup.sh

build: setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	bash scripts/demo.sh

# The heavy tiers (labels compat and models.torchvision) are left to `make compat`.
test: build
	cd $(BUILD) && MLEXPORT_VERIFY_EACH=1 ctest --output-on-failure -j$(JOBS) -LE 'compat|models\.torchvision|models\.detection'

# The export service on a demo workspace (demo/workspace, written once by the C++ zoo's checkpoint
# writer): http://127.0.0.1:8080 (see docs/service.md).
serve: build
	bash apps/mlexport-server/make_demo_workspace.sh $(BUILD) demo/workspace
	$(BUILD)/mlexport-server --workspace demo/workspace

clean:
	rm -rf $(BUILD) demo

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

operators-doc: build
	$(BUILD)/mlexport-operators > docs/operators.md

# Every architecture of the export guide: zoo parity, then a checkpoint of each exported to every
# available format (rewrites the matrix in docs/compatibility.md); slower than `make test`.
compat: build torchvision detection
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -L compat
	python3 bench/compat_matrix.py --build $(BUILD)

# Every torchvision 0.14 model outside detection, exported and compared in ONNX Runtime with eager
# PyTorch, one at a time (tests/models_torchvision/; hours on two cores). Results accumulate in
# $(BUILD)/tests/models_torchvision/tv/results.jsonl.
torchvision: build
	cd $(BUILD) && ctest --output-on-failure -L 'models\.torchvision'

# torchvision's detectors traced with NMS inside (tests/models_detection/), exported and their
# detections matched as sets in ONNX Runtime; minutes per model on two cores.
detection: build
	cd $(BUILD) && ctest --output-on-failure -L 'models\.detection'

# libFuzzer targets for every reader of untrusted bytes (see fuzz/README.md); installs clang if
# missing.
fuzz:
	sh fuzz/build.sh

# Every fuzzer for SECONDS each, one after another, from a scratch copy of its seed corpus;
# the summary lands in build-fuzz/campaign/summary.md. TARGETS narrows the list.
SECONDS ?= 60
fuzz-campaign:
	sh fuzz/campaign.sh $(SECONDS) build-fuzz $(TARGETS)
