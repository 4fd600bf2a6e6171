#!/usr/bin/env node
// The export guide's "Python with ONNX Runtime" deployment snippet, step for step, in
// onnxruntime-node (this machine has no Python onnxruntime): load the session, prepare an image
// as the training transforms do (resize 256, center crop 224, to [0, 1], normalize), run it, take
// the argmax. The image is synthetic (a seeded gradient) since the guide's test_image.jpg is not
// part of the project; it is repeated to the exported batch size.
//
//   node deploy_snippet.js MODEL.onnx
'use strict';

const path = require('path');
const ort = require(path.join(__dirname, '..', '..', 'tools', 'ort-runner', 'node_modules',
                              'onnxruntime-node'));

// transforms.Resize(256) + CenterCrop(224) + ToTensor() + Normalize(mean, std), on a synthetic
// 256x256 RGB image (already at the resized size).
function prepareImage() {
  const size = 256, crop = 224, offset = (size - crop) / 2;
  const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
  const out = new Float32Array(3 * crop * crop);
  for (let c = 0; c < 3; ++c)
    for (let y = 0; y < crop; ++y)
      for (let x = 0; x < crop; ++x) {
        const pixel = ((x + offset) * (c + 1) + (y + offset) * (3 - c)) % 256;  // 0..255
        out[(c * crop + y) * crop + x] = (pixel / 255 - mean[c]) / std[c];
      }
  return out;
}

async function main() {
  const modelPath = process.argv[2];
  // Load ONNX model
  const session = await ort.InferenceSession.create(modelPath,
                                                    {executionProviders: ['cpu']});
  // The input's batch as the file fixes it (1 when it is dynamic).
  const inputName = session.inputNames[0];
  const meta = session.inputMetadata && session.inputMetadata[0];
  const batch = meta && meta.shape && typeof meta.shape[0] === 'number' ? meta.shape[0] : 1;
  const image = prepareImage();
  const data = new Float32Array(batch * image.length);
  for (let b = 0; b < batch; ++b) data.set(image, b * image.length);
  const inputTensor = new ort.Tensor('float32', data, [batch, 3, 224, 224]);
  // Run inference
  const results = await session.run({[inputName]: inputTensor});
  const output = results[session.outputNames[0]];
  // Get prediction (first image): argmax and max over axis 1
  const classes = output.dims[1];
  const row = Array.from(output.data.slice(0, classes));
  const confidence = Math.max(...row);
  const predictedClass = row.indexOf(confidence);
  console.log(`Predicted class: ${predictedClass}`);
  console.log(`Confidence: ${confidence.toFixed(4)}`);
  console.log(`Output shape: ${output.dims.join(',')}`);
}

main().catch((e) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
