"""Writes the ONNX fixtures of the frontend_onnx tests into a folder (argument 1).

Run with Debian's /usr/bin/python3 (torch 1.13, torchvision 0.14, onnx 1.12). Fixtures are:
  - torch.onnx.export of torchvision resnet18 / mobilenet_v3_small and a small transformer block
    at opsets 11, 13 and 17 (seeded weights, randomized BatchNorm statistics);
  - onnx.helper graphs for the ops whose operands moved between attributes and inputs, or whose
    meaning changed across opsets (Squeeze, Unsqueeze, ReduceMean/Sum, Split, Pad, Clip, Slice,
    Resize, Upsample, Softmax-11, BatchNormalization-7, Dropout, TopK-1, Scatter, OneHot-9...);
  - broken files for the error tests (external data outside the folder, If, custom domains...).
The folder is regenerated when this script changes (a stamp holds its hash).
"""
import hashlib
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper, numpy_helper

OUT = sys.argv[1]
ONLY = set(sys.argv[2:])  # names to (re)write; all when empty


def ir_version_for(opset):
    # The IR version released with the opset (onnx/helper.py VERSION_TABLE).
    return {7: 3, 8: 3, 9: 4, 10: 5, 11: 6, 12: 7, 13: 7, 14: 7}.get(opset, 8)


def vi(name, t, shape):
    return helper.make_tensor_value_info(name, t, shape)


def save(name, nodes, inputs, outputs, inits=(), opset=13, check=True, extra_opsets=(),
         ir_version=None):
    inputs = list(inputs)
    if (ir_version or ir_version_for(opset)) < 4:  # IR 3 lists every initializer as an input
        listed = {i.name for i in inputs}
        inputs += [vi(t.name, t.data_type, list(t.dims)) for t in inits if t.name not in listed]
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    imports = [helper.make_opsetid('', opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(g, opset_imports=imports, producer_name='make_fixtures')
    m.ir_version = ir_version or ir_version_for(opset)
    fill_output_shapes(m)
    if check:
        onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, name + '.onnx'))


def fill_output_shapes(m):
    """Outputs declared without a shape get the one ONNX shape inference finds."""
    inferred = {o.name: o for o in onnx.shape_inference.infer_shapes(m).graph.output}
    for out in m.graph.output:
        got = inferred.get(out.name)
        if not out.type.tensor_type.HasField('shape') and got is not None and \
                got.type.tensor_type.HasField('shape'):
            out.type.CopyFrom(got.type)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


rng = np.random.default_rng(0)


def weights(name, *shape):
    return const(name, rng.standard_normal(shape).astype(np.float32))


# ---------------------------------------------------------------- ops with moved operands

def squeeze_unsqueeze():
    x = vi('x', T.FLOAT, [2, 1, 3])
    save('squeeze_11', [helper.make_node('Squeeze', ['x'], ['y'], axes=[1])],
         [x], [vi('y', T.FLOAT, [2, 3])], opset=11)
    save('squeeze_13', [helper.make_node('Squeeze', ['x', 'axes'], ['y'])],
         [x], [vi('y', T.FLOAT, [2, 3])], [const('axes', np.array([-2], np.int64))], opset=13)
    save('squeeze_all_13', [helper.make_node('Squeeze', ['x'], ['y'])],
         [x], [vi('y', T.FLOAT, [2, 3])], opset=13)
    save('unsqueeze_11', [helper.make_node('Unsqueeze', ['x'], ['y'], axes=[0, 4])],
         [x], [vi('y', T.FLOAT, [1, 2, 1, 3, 1])], opset=11)
    save('unsqueeze_13', [helper.make_node('Unsqueeze', ['x', 'axes'], ['y'])],
         [x], [vi('y', T.FLOAT, [1, 2, 1, 3, 1])],
         [const('axes', np.array([0, -1], np.int64))], opset=13)


def reductions():
    x = vi('x', T.FLOAT, [2, 3, 4])
    save('reducemean_11', [helper.make_node('ReduceMean', ['x'], ['y'], axes=[1], keepdims=0)],
         [x], [vi('y', T.FLOAT, [2, 4])], opset=11)
    save('reducemean_13', [helper.make_node('ReduceMean', ['x'], ['y'], axes=[-1, 0])],
         [x], [vi('y', T.FLOAT, [1, 3, 1])], opset=13)
    save('reducesum_11', [helper.make_node('ReduceSum', ['x'], ['y'], axes=[0, 2], keepdims=1)],
         [x], [vi('y', T.FLOAT, [1, 3, 1])], opset=11)
    save('reducesum_13', [helper.make_node('ReduceSum', ['x', 'axes'], ['y'], keepdims=0)],
         [x], [vi('y', T.FLOAT, [3])], [const('axes', np.array([0, 2], np.int64))], opset=13)
    save('reducesum_noop_13',
         [helper.make_node('ReduceSum', ['x', 'axes'], ['y'], noop_with_empty_axes=1)],
         [x], [vi('y', T.FLOAT, [2, 3, 4])], [const('axes', np.zeros([0], np.int64))], opset=13)


def splits():
    x = vi('x', T.FLOAT, [2, 6])
    outs = [vi('a', T.FLOAT, [2, 2]), vi('b', T.FLOAT, [2, 4])]
    save('split_11', [helper.make_node('Split', ['x'], ['a', 'b'], axis=1, split=[2, 4])],
         [x], outs, opset=11)
    save('split_13', [helper.make_node('Split', ['x', 'split'], ['a', 'b'], axis=-1)],
         [x], outs, [const('split', np.array([2, 4], np.int64))], opset=13)
    save('split_equal_13', [helper.make_node('Split', ['x'], ['a', 'b', 'c'], axis=1)],
         [x], [vi(n, T.FLOAT, [2, 2]) for n in 'abc'], opset=13)


def pads():
    x = vi('x', T.FLOAT, [1, 2, 3, 4])
    y = vi('y', T.FLOAT, None)
    save('pad_10', [helper.make_node('Pad', ['x'], ['y'], pads=[0, 0, 1, 2, 0, 0, 2, 1],
                                     value=1.5)], [x], [y], opset=10)
    save('pad_11', [helper.make_node('Pad', ['x', 'pads', 'value'], ['y'])], [x], [y],
         [const('pads', np.array([0, 1, 1, 0, 0, 0, 2, 3], np.int64)),
          const('value', np.array(-0.25, np.float32))], opset=11)
    save('pad_reflect_13', [helper.make_node('Pad', ['x', 'pads'], ['y'], mode='reflect')],
         [x], [y], [const('pads', np.array([0, 0, 2, 1, 0, 0, 1, 2], np.int64))], opset=13)
    save('pad_edge_11', [helper.make_node('Pad', ['x', 'pads'], ['y'], mode='edge')],
         [x], [y], [const('pads', np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))], opset=11)


def clips():
    x = vi('x', T.FLOAT, [3, 4])
    y = vi('y', T.FLOAT, [3, 4])
    save('clip_10', [helper.make_node('Clip', ['x'], ['y'], min=-0.5, max=0.75)], [x], [y],
         opset=10)
    save('clip_min_11', [helper.make_node('Clip', ['x', 'lo'], ['y'])], [x], [y],
         [const('lo', np.array(-0.3, np.float32))], opset=11)
    save('clip_max_13', [helper.make_node('Clip', ['x', '', 'hi'], ['y'])], [x], [y],
         [const('hi', np.array(0.2, np.float32))], opset=13)
    save('clip_int_13', [helper.make_node('Cast', ['x'], ['i'], to=T.INT32),
                         helper.make_node('Clip', ['i', 'lo', 'hi'], ['y'])],
         [x], [vi('y', T.INT32, [3, 4])],
         [const('lo', np.array(-1, np.int32)), const('hi', np.array(1, np.int32))], opset=13)


def slices():
    x = vi('x', T.FLOAT, [4, 6, 5])
    y = vi('y', T.FLOAT, None)
    save('slice_9', [helper.make_node('Slice', ['x'], ['y'], starts=[1, -4], ends=[3, 1000],
                                      axes=[0, 1])], [x], [y], opset=9)
    save('slice_10', [helper.make_node('Slice', ['x', 's', 'e', 'a', 'k'], ['y'])], [x], [y],
         [const('s', np.array([0, 1], np.int64)), const('e', np.array([6, 5], np.int64)),
          const('a', np.array([1, 2], np.int64)), const('k', np.array([2, 2], np.int64))],
         opset=10)
    save('slice_neg_13', [helper.make_node('Slice', ['x', 's', 'e', 'a', 'k'], ['y'])], [x], [y],
         [const('s', np.array([-1], np.int64)), const('e', np.array([-1000], np.int64)),
          const('a', np.array([-1], np.int64)), const('k', np.array([-2], np.int64))], opset=13)


def resizes():
    x = vi('x', T.FLOAT, [1, 2, 4, 5])
    y = vi('y', T.FLOAT, None)
    empty = const('empty', np.zeros([0], np.float32))
    save('resize_nearest_10', [helper.make_node('Resize', ['x', 's'], ['y'], mode='nearest')],
         [x], [y], [const('s', np.array([1, 1, 2, 3], np.float32))], opset=10)
    save('resize_down_10', [helper.make_node('Resize', ['x', 's'], ['y'], mode='nearest')],
         [x], [y], [const('s', np.array([1, 1, 0.5, 0.6], np.float32))], opset=10)
    save('resize_linear_10', [helper.make_node('Resize', ['x', 's'], ['y'], mode='linear')],
         [x], [y], [const('s', np.array([1, 1, 1.5, 2.5], np.float32))], opset=10)
    save('resize_align_11',
         [helper.make_node('Resize', ['x', 'empty', 's'], ['y'], mode='linear',
                           coordinate_transformation_mode='align_corners')],
         [x], [y], [empty, const('s', np.array([1, 1, 2, 2], np.float32))], opset=11)
    save('resize_sizes_11',
         [helper.make_node('Resize', ['x', 'empty', 'empty', 'sz'], ['y'], mode='nearest',
                           coordinate_transformation_mode='asymmetric', nearest_mode='floor')],
         [x], [y], [empty, const('sz', np.array([1, 2, 7, 9], np.int64))], opset=11)
    save('resize_cubic_13',
         [helper.make_node('Resize', ['x', '', 's'], ['y'], mode='cubic',
                           coordinate_transformation_mode='half_pixel', cubic_coeff_a=-0.5)],
         [x], [y], [const('s', np.array([1, 1, 1.5, 2], np.float32))], opset=13)
    save('resize_sizes_13',
         [helper.make_node('Resize', ['x', '', '', 'sz'], ['y'], mode='linear')],
         [x], [y], [const('sz', np.array([1, 2, 3, 8], np.int64))], opset=13)
    save('upsample_9', [helper.make_node('Upsample', ['x', 's'], ['y'], mode='nearest')],
         [x], [y], [const('s', np.array([1, 1, 2, 2], np.float32))], opset=9)
    save('upsample_linear_7',
         [helper.make_node('Upsample', ['x'], ['y'], mode='linear', scales=[1.0, 1.0, 2.0, 1.5])],
         [x], [y], opset=7)


def softmaxes():
    x = vi('x', T.FLOAT, [2, 3, 4, 5])
    y = vi('y', T.FLOAT, [2, 3, 4, 5])
    save('softmax_axis1_11', [helper.make_node('Softmax', ['x'], ['y'], axis=1)], [x], [y],
         opset=11)
    save('softmax_default_9', [helper.make_node('Softmax', ['x'], ['y'])], [x], [y], opset=9)
    save('softmax_last_11', [helper.make_node('Softmax', ['x'], ['y'], axis=-1)], [x], [y],
         opset=11)
    save('logsoftmax_axis2_11', [helper.make_node('LogSoftmax', ['x'], ['y'], axis=2)], [x], [y],
         opset=11)
    save('hardmax_axis1_11', [helper.make_node('Hardmax', ['x'], ['y'], axis=1)], [x], [y],
         opset=11)
    # Rank unknown to the importer: the input has no shape.
    save('softmax_norank_11', [helper.make_node('Softmax', ['x'], ['y'], axis=1)],
         [helper.make_tensor_value_info('x', T.FLOAT, None)], [vi('y', T.FLOAT, None)], opset=11,
         check=False)


def old_forms():
    x = vi('x', T.FLOAT, [2, 3, 4, 4])
    y = vi('y', T.FLOAT, None)
    c = 3
    bn = [weights('scale', c), weights('bias', c), weights('mean', c),
          const('var', rng.uniform(0.5, 2.0, [c]).astype(np.float32))]
    save('batchnorm_spatial_7',
         [helper.make_node('BatchNormalization', ['x', 'scale', 'bias', 'mean', 'var'], ['y'],
                           spatial=1, epsilon=1e-3)], [x], [y], bn, opset=7)
    per = [weights('scale', c, 4, 4), weights('bias', c, 4, 4), weights('mean', c, 4, 4),
           const('var', rng.uniform(0.5, 2.0, [c, 4, 4]).astype(np.float32))]
    save('batchnorm_per_activation_7',
         [helper.make_node('BatchNormalization', ['x', 'scale', 'bias', 'mean', 'var'], ['y'],
                           spatial=0)], [x], [y], per, opset=7)
    save('dropout_7', [helper.make_node('Dropout', ['x'], ['d'], ratio=0.3),
                       helper.make_node('Relu', ['d'], ['y'])], [x], [y], opset=7)
    save('dropout_12', [helper.make_node('Dropout', ['x', 'r'], ['y', 'mask'])], [x], [y],
         [const('r', np.array(0.5, np.float32))], opset=12)
    save('topk_9', [helper.make_node('TopK', ['x'], ['v', 'i'], k=2, axis=-1)],
         [x], [vi('v', T.FLOAT, None), vi('i', T.INT64, None)], opset=9)
    data = vi('data', T.FLOAT, [3, 4])
    save('scatter_9', [helper.make_node('Scatter', ['data', 'idx', 'upd'], ['y'], axis=1)],
         [data], [y], [const('idx', np.array([[1, 3], [0, 2], [3, 3]], np.int64)),
                       weights('upd', 3, 2)], opset=9)
    # OneHot-9 reads the negative index as out of range (an all-off row).
    save('onehot_9',
         [helper.make_node('OneHot', ['idx', 'depth', 'vals'], ['h'], axis=-1),
          helper.make_node('Add', ['h', 'row'], ['y'])], [vi('row', T.FLOAT, [4])],
         [vi('y', T.FLOAT, [3, 4, 4])],
         [const('idx', np.array([[-1, 0, 2, 3], [1, -4, 0, 2], [3, 3, -2, 0]], np.int64)),
          const('depth', np.array(4.0, np.float32)), const('vals', np.array([0, 1], np.float32))],
         opset=9)
    rois = const('rois', np.array([[0, 0, 3, 3], [1, 0.5, 3.5, 2]], np.float32))
    save('roialign_10',
         [helper.make_node('RoiAlign', ['x', 'rois', 'bi'], ['y'], output_height=2, output_width=3,
                           sampling_ratio=2, spatial_scale=1.0)],
         [x], [y], [rois, const('bi', np.array([0, 1], np.int64))], opset=10)


def types_and_constants():
    x = vi('x', T.FLOAT, [2, 3])
    half = helper.make_tensor('h', T.FLOAT16, [3], np.array([0.5, -1.25, 3.0], np.float16))
    save('float16_13', [helper.make_node('Cast', ['x'], ['xh'], to=T.FLOAT16),
                        helper.make_node('Add', ['xh', 'h'], ['sh']),
                        helper.make_node('Cast', ['sh'], ['y'], to=T.FLOAT)],
         [x], [vi('y', T.FLOAT, [2, 3])], [half], opset=13)
    save('constants_13',
         [helper.make_node('Constant', [], ['cf'], value_floats=[1.0, 2.0, 3.0]),
          helper.make_node('Constant', [], ['ci'], value_ints=[3, 2]),
          helper.make_node('Constant', [], ['ct'],
                           value=helper.make_tensor('t', T.FLOAT, [1, 3], [0.5, 0.25, 0.125])),
          helper.make_node('Mul', ['x', 'cf'], ['m']),
          helper.make_node('Add', ['m', 'ct'], ['a']),
          helper.make_node('Reshape', ['a', 'ci'], ['y'])],
         [x], [vi('y', T.FLOAT, [3, 2])], opset=13)
    # An initializer listed among the graph inputs (IR 3: it is a constant with a default).
    w = weights('w', 3)
    save('initializer_input_7', [helper.make_node('Add', ['x', 'w'], ['y'], name='add_w',
                                                  doc_string='y = x + w')],
         [x, vi('w', T.FLOAT, [3])], [vi('y', T.FLOAT, [2, 3])], [w], opset=7)
    # Typed fields instead of raw_data.
    typed = helper.make_tensor('b', T.FLOAT, [3], [1.0, -2.0, 0.5], raw=False)
    ints = helper.make_tensor('shape', T.INT64, [2], [3, 2], raw=False)
    save('typed_fields_13', [helper.make_node('Add', ['x', 'b'], ['a']),
                             helper.make_node('Reshape', ['a', 'shape'], ['y'])],
         [x], [vi('y', T.FLOAT, [3, 2])], [typed, ints], opset=13)
    # Symbolic dims.
    xs = vi('x', T.FLOAT, ['batch', 3])
    save('symbolic_13', [helper.make_node('Relu', ['x'], ['y'])], [xs], [vi('y', T.FLOAT,
                                                                        ['batch', 3])], opset=13)


def old_cnn():
    # Opset 7 end to end (IR 3): Conv, BatchNormalization(spatial), MaxPool, Upsample-7,
    # GlobalAveragePool, Flatten, Gemm, Softmax-1 over the last axis of a 2-D tensor.
    x = vi('x', T.FLOAT, [1, 3, 8, 8])
    inits = [weights('w', 4, 3, 3, 3), weights('b', 4), weights('s', 4), weights('o', 4),
             weights('m', 4), const('v', rng.uniform(0.5, 2.0, [4]).astype(np.float32)),
             weights('fc_w', 5, 4), weights('fc_b', 5)]
    nodes = [helper.make_node('Conv', ['x', 'w', 'b'], ['c'], pads=[1, 1, 1, 1]),
             helper.make_node('BatchNormalization', ['c', 's', 'o', 'm', 'v'], ['n'], spatial=1),
             helper.make_node('Relu', ['n'], ['r']),
             helper.make_node('MaxPool', ['r'], ['p'], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node('Upsample', ['p'], ['u'], mode='nearest', scales=[1.0, 1.0, 2.0, 2.0]),
             helper.make_node('GlobalAveragePool', ['u'], ['g']),
             helper.make_node('Flatten', ['g'], ['f']),
             helper.make_node('Gemm', ['f', 'fc_w', 'fc_b'], ['logits'], transB=1),
             helper.make_node('Softmax', ['logits'], ['y'])]
    save('old_cnn_7', nodes, [x], [vi('y', T.FLOAT, [1, 5])], inits, opset=7)


def external_data():
    x = vi('x', T.FLOAT, [1, 2, 5, 5])
    inits = [weights('w', 3, 2, 3, 3), weights('b', 3)]
    g = helper.make_graph([helper.make_node('Conv', ['x', 'w', 'b'], ['y'])], 'ext', [x],
                          [vi('y', T.FLOAT, [1, 3, 3, 3])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])
    m.ir_version = 7
    folder = os.path.join(OUT, 'external')
    os.makedirs(folder, exist_ok=True)
    onnx.save_model(m, os.path.join(folder, 'conv.onnx'), save_as_external_data=True,
                    all_tensors_to_one_file=True, location='conv.weights', size_threshold=0)


# ---------------------------------------------------------------- files that must be refused

def set_external(tensor, location):
    tensor.ClearField('raw_data')
    tensor.data_location = T.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = 'location', location


def bad_files():
    folder = os.path.join(OUT, 'bad')
    os.makedirs(os.path.join(folder, 'models'), exist_ok=True)
    with open(os.path.join(folder, 'secret.bin'), 'wb') as f:
        f.write(np.zeros(6, np.float32).tobytes())
    x = vi('x', T.FLOAT, [2, 3])
    y = vi('y', T.FLOAT, [2, 3])

    def model(nodes, inits=(), opsets=(('', 13),), inputs=(x,), outputs=(y,)):
        g = helper.make_graph(nodes, 'bad', list(inputs), list(outputs), initializer=list(inits))
        m = helper.make_model(g, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])
        m.ir_version = 8
        return m

    w = const('w', np.zeros([2, 3], np.float32))
    set_external(w, '../secret.bin')
    onnx.save(model([helper.make_node('Add', ['x', 'w'], ['y'])], [w]),
              os.path.join(folder, 'models', 'dotdot.onnx'))
    w = const('w', np.zeros([2, 3], np.float32))
    set_external(w, os.path.abspath(os.path.join(folder, 'secret.bin')))
    onnx.save(model([helper.make_node('Add', ['x', 'w'], ['y'])], [w]),
              os.path.join(folder, 'models', 'absolute.onnx'))
    link = os.path.join(folder, 'models', 'link.bin')
    if not os.path.lexists(link):
        os.symlink(os.path.join('..', 'secret.bin'), link)
    w = const('w', np.zeros([2, 3], np.float32))
    set_external(w, 'link.bin')
    onnx.save(model([helper.make_node('Add', ['x', 'w'], ['y'])], [w]),
              os.path.join(folder, 'models', 'symlink.onnx'))
    w = const('w', np.zeros([2, 3], np.float32))
    set_external(w, 'missing.bin')
    onnx.save(model([helper.make_node('Add', ['x', 'w'], ['y'])], [w]),
              os.path.join(folder, 'models', 'missing_data.onnx'))

    branch = lambda v: helper.make_graph(  # noqa: E731
        [helper.make_node('Identity', ['x'], ['out'])], 'b', [], [vi('out', T.FLOAT, [2, 3])])
    cond = const('cond', np.array(True))
    if_node = helper.make_node('If', ['cond'], ['y'], then_branch=branch(1), else_branch=branch(2))
    onnx.save(model([if_node], [cond]), os.path.join(folder, 'if.onnx'))
    onnx.save(model([helper.make_node('MyOp', ['x'], ['t'], domain='com.example'),
                     helper.make_node('MyOp', ['t'], ['y'], domain='com.example')],
                    opsets=(('', 13), ('com.example', 1))),
              os.path.join(folder, 'custom_domain.onnx'))
    onnx.save(model([helper.make_node('If', ['cond'], ['a'], then_branch=branch(1),
                                      else_branch=branch(2)),
                     helper.make_node('Scaler', ['a'], ['b'], domain='ai.onnx.ml', scale=[2.0]),
                     helper.make_node('Gadget', ['b'], ['y'], domain='com.example')], [cond],
                    opsets=(('', 13), ('ai.onnx.ml', 3), ('com.example', 1))),
              os.path.join(folder, 'many_unsupported.onnx'))
    onnx.save(model([helper.make_node('Relu', ['x'], ['y'])], opsets=(('', 18),)),
              os.path.join(folder, 'opset18.onnx'))
    onnx.save(model([helper.make_node('Relu', ['x'], ['y'])], opsets=(('', 6),)),
              os.path.join(folder, 'opset6.onnx'))
    # A node reading a value nothing defines.
    onnx.save(model([helper.make_node('Add', ['x', 'nowhere'], ['y'])]),
              os.path.join(folder, 'undefined_value.onnx'))
    # A required input left empty, and too many inputs.
    onnx.save(model([helper.make_node('Softmax', [''], ['y'])]),
              os.path.join(folder, 'empty_input.onnx'))
    onnx.save(model([helper.make_node('Relu', ['x', 'x'], ['y'])]),
              os.path.join(folder, 'extra_input.onnx'))
    # raw_data shorter than the shape needs.
    w = const('w', np.zeros([2, 3], np.float32))
    w.raw_data = w.raw_data[:8]
    onnx.save(model([helper.make_node('Add', ['x', 'w'], ['y'])], [w]),
              os.path.join(folder, 'short_raw.onnx'))
    # uint32 values have no IR dtype.
    onnx.save(model([helper.make_node('Cast', ['x'], ['u'], to=T.UINT32),
                     helper.make_node('Cast', ['u'], ['y'], to=T.FLOAT)]),
              os.path.join(folder, 'uint32.onnx'))


# ---------------------------------------------------------------- torch exports

def torch_models():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torchvision

    class Block(nn.Module):
        """A pre-norm transformer block over token embeddings, with an additive key mask."""

        def __init__(self, vocab=50, dim=32, heads=4):
            super().__init__()
            self.heads = heads
            self.embed = nn.Embedding(vocab, dim)
            self.ln1 = nn.LayerNorm(dim)
            self.qkv = nn.Linear(dim, 3 * dim)
            self.proj = nn.Linear(dim, dim)
            self.ln2 = nn.LayerNorm(dim)
            self.fc1 = nn.Linear(dim, 4 * dim)
            self.fc2 = nn.Linear(4 * dim, dim)

        def forward(self, ids, mask):
            x = self.embed(ids)
            b, t, d = x.shape
            q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
            split = lambda z: z.reshape(b, t, self.heads, d // self.heads).transpose(1, 2)  # noqa
            q, k, v = split(q), split(k), split(v)
            att = q @ k.transpose(-2, -1) / math.sqrt(d // self.heads)
            att = (att + mask[:, None, None, :]).softmax(dim=-1)
            y = (att @ v).transpose(1, 2).reshape(b, t, d)
            x = x + self.proj(y)
            return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))

    def randomize_bn(model):
        g = torch.Generator().manual_seed(1)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)

    def export(name, model, args, names, dynamic=None, opset=13):
        path = os.path.join(OUT, name + '.onnx')
        with torch.no_grad():
            torch.onnx.export(model, args, path, opset_version=opset, input_names=names[0],
                              output_names=names[1], dynamic_axes=dynamic)

    torch.manual_seed(0)
    resnet = torchvision.models.resnet18(num_classes=10).eval()
    torch.manual_seed(0)
    mobilenet = torchvision.models.mobilenet_v3_small(num_classes=10).eval()
    torch.manual_seed(0)
    block = Block().eval()
    randomize_bn(resnet)
    randomize_bn(mobilenet)
    image = torch.randn(1, 3, 64, 64)
    ids = torch.randint(0, 50, (2, 7))
    mask = torch.zeros(2, 7)
    for opset in (11, 13, 17):
        # Batch dynamic at 13 only: the others keep fixed shapes (dynamic_batch test uses 11).
        dyn = {'input': {0: 'batch'}, 'output': {0: 'batch'}} if opset == 13 else None
        export(f'resnet18_op{opset}', resnet, (image,), (['input'], ['output']), dyn, opset)
        export(f'mobilenet_v3_small_op{opset}', mobilenet, (image,), (['input'], ['output']),
               dyn, opset)
        export(f'transformer_op{opset}', block, (ids, mask), (['ids', 'mask'], ['hidden']),
               {'ids': {0: 'batch', 1: 'seq'}, 'mask': {0: 'batch', 1: 'seq'},
                'hidden': {0: 'batch', 1: 'seq'}}, opset)


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(__file__, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    stamp = os.path.join(OUT, 'stamp.txt')
    if not ONLY and os.path.exists(stamp) and open(stamp).read() == digest:
        print('fixtures are up to date in', OUT)
        return
    for make in (squeeze_unsqueeze, reductions, splits, pads, clips, slices, resizes, softmaxes,
                 old_forms, types_and_constants, old_cnn, external_data, bad_files, torch_models):
        if not ONLY or make.__name__ in ONLY:
            make()
    if not ONLY:
        with open(stamp, 'w') as f:
            f.write(digest)
    print('wrote fixtures to', OUT)


if __name__ == '__main__':
    main()
