// NumPy .npy files (format versions 1-3), C order, little-endian: the tensor
// exchange format between depthmask-onnx, onnxruntime-node and tools/nn/*.py.
//   magic "\x93NUMPY", major, minor, header length (uint16 for v1, uint32 for
//   v2/v3), then a Python dict literal {'descr': ..., 'fortran_order': ...,
//   'shape': (...), } padded with spaces and a newline so the data starts on a
//   64-byte boundary.
import { readFileSync, writeFileSync } from 'node:fs';

// descr <-> onnxruntime tensor type and typed array.
const TYPES = [
  { descr: '<f4', ort: 'float32', Array: Float32Array },
  { descr: '<f8', ort: 'float64', Array: Float64Array },
  { descr: '<f2', ort: 'float16', Array: Uint16Array }, // raw half-precision bits
  { descr: '<i8', ort: 'int64', Array: BigInt64Array },
  { descr: '<i4', ort: 'int32', Array: Int32Array },
  { descr: '|i1', ort: 'int8', Array: Int8Array },
  { descr: '|u1', ort: 'uint8', Array: Uint8Array },
  { descr: '|b1', ort: 'bool', Array: Uint8Array },
];

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

function fail(path, msg) {
  throw new Error(`${path}: ${msg}`);
}

function headerField(header, key, path) {
  // Values are a quoted string, True/False or a tuple of integers.
  const m = header.match(new RegExp(`['"]${key}['"]\\s*:\\s*('[^']*'|"[^"]*"|True|False|\\([^)]*\\))`));
  if (!m) fail(path, `npy header has no '${key}'`);
  return m[1];
}

// Returns { type: 'float32'|..., dims: number[], data: TypedArray }.
export function readNpy(path) {
  const buf = readFileSync(path);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) fail(path, 'not a .npy file');
  const major = buf[6];
  let hlen, hstart;
  if (major === 1) {
    hlen = buf.readUInt16LE(8);
    hstart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) fail(path, 'truncated .npy header');
    hlen = buf.readUInt32LE(8);
    hstart = 12;
  } else {
    fail(path, `unsupported .npy version ${major}`);
  }
  if (hstart + hlen > buf.length) fail(path, 'truncated .npy header');
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', hstart, hstart + hlen);
  const descr = headerField(header, 'descr', path).slice(1, -1);
  if (headerField(header, 'fortran_order', path) !== 'False') fail(path, 'Fortran-order arrays are not supported');
  const t = TYPES.find((x) => x.descr === descr || (x.descr[0] === '<' && `=${x.descr.slice(1)}` === descr));
  if (!t) fail(path, `unsupported dtype ${descr} (float32, float64, float16, int64, int32, int8, uint8, bool)`);
  const dims = headerField(header, 'shape', path)
    .slice(1, -1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length)
    .map((s) => {
      if (!/^\d+$/.test(s)) fail(path, `bad dimension '${s}' in shape`);
      return Number(s);
    });
  const count = dims.reduce((a, b) => a * b, 1);
  const start = hstart + hlen;
  const bytes = count * t.Array.BYTES_PER_ELEMENT;
  if (buf.length - start !== bytes) fail(path, `data is ${buf.length - start} bytes, shape ${JSON.stringify(dims)} needs ${bytes}`);
  // slice() copies into a fresh, aligned ArrayBuffer.
  const data = new t.Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + start + bytes));
  return { type: t.ort, dims, data };
}

// Writes a version 1.0 file (version 2.0 if the header would not fit).
export function writeNpy(path, type, dims, data) {
  const t = TYPES.find((x) => x.ort === type);
  if (!t) fail(path, `cannot write tensor type ${type}`);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let dict = `{'descr': '${t.descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const major = dict.length + 12 > 65535 ? 2 : 1;
  const pre = major === 1 ? 10 : 12;
  const pad = (64 - ((pre + dict.length + 1) % 64)) % 64;
  dict = dict + ' '.repeat(pad) + '\n';
  const head = Buffer.alloc(pre);
  MAGIC.copy(head, 0);
  head[6] = major;
  head[7] = 0;
  if (major === 1) head.writeUInt16LE(dict.length, 8);
  else head.writeUInt32LE(dict.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  writeFileSync(path, Buffer.concat([head, Buffer.from(dict, 'latin1'), body]));
}
