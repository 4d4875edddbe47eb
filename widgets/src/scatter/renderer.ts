import type { ViewTransform } from './transform.js';

const POINT_VERTEX = `#version 300 es
in float a_x;
in float a_y;
in vec4 a_color;
uniform vec2 u_center;
uniform float u_k;
uniform vec2 u_half;
uniform float u_size;
uniform float u_alpha;
uniform float u_fade;
out vec4 v_color;
void main() {
  gl_Position = vec4((vec2(a_x, a_y) - u_center) * u_k / u_half, 0.0, 1.0);
  gl_PointSize = u_size;
  v_color = vec4(mix(a_color.rgb, vec3(0.6), u_fade), u_alpha);
}`;

const POINT_FRAGMENT = `#version 300 es
precision mediump float;
in vec4 v_color;
out vec4 color;
void main() {
  vec2 d = gl_PointCoord - 0.5;
  if (dot(d, d) > 0.25) discard;
  color = vec4(v_color.rgb * v_color.a, v_color.a);
}`;

// A full-view quad from the vertex id alone: no vertex buffer.
const HEAT_VERTEX = `#version 300 es
out vec2 v_uv;
void main() {
  vec2 p = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1));
  v_uv = vec2(p.x, 1.0 - p.y);
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}`;

const HEAT_FRAGMENT = `#version 300 es
precision mediump float;
uniform sampler2D u_heat;
in vec2 v_uv;
out vec4 color;
void main() {
  vec4 c = texture(u_heat, v_uv);
  color = vec4(c.rgb * c.a, c.a);
}`;

export interface PointStyle {
  /** Diameter in device pixels. */
  size: number;
  alpha: number;
  /** 0 keeps the colour, 1 greys it out (the points a selection leaves out). */
  fade: number;
}

/**
 * The scatter's WebGL2 drawing: the point coordinates live in two float buffers uploaded straight
 * from the Arrow columns, colours in an RGBA byte buffer; subsets (the points in view, the
 * selection) are drawn through element buffers of indices.
 */
export class ScatterRenderer {
  private readonly gl: WebGL2RenderingContext;
  private readonly points: WebGLProgram;
  private readonly heat: WebGLProgram;
  private readonly vao: WebGLVertexArrayObject;
  private readonly emptyVao: WebGLVertexArrayObject;
  private readonly buffers: WebGLBuffer[] = [];
  private readonly xBuffer: WebGLBuffer;
  private readonly yBuffer: WebGLBuffer;
  private readonly colorBuffer: WebGLBuffer;
  private readonly subsetBuffer: WebGLBuffer;
  private readonly heatTexture: WebGLTexture;
  private pointCount = 0;

  constructor(canvas: HTMLCanvasElement) {
    const gl = canvas.getContext('webgl2', { preserveDrawingBuffer: true, antialias: false, alpha: true });
    if (!gl) throw new Error('WebGL2 is not available in this browser');
    this.gl = gl;
    this.points = program(gl, POINT_VERTEX, POINT_FRAGMENT);
    this.heat = program(gl, HEAT_VERTEX, HEAT_FRAGMENT);
    this.vao = gl.createVertexArray()!;
    this.emptyVao = gl.createVertexArray()!;
    this.xBuffer = this.buffer();
    this.yBuffer = this.buffer();
    this.colorBuffer = this.buffer();
    this.subsetBuffer = this.buffer();
    this.heatTexture = gl.createTexture()!;
    gl.bindTexture(gl.TEXTURE_2D, this.heatTexture);
    for (const parameter of [gl.TEXTURE_MIN_FILTER, gl.TEXTURE_MAG_FILTER]) {
      gl.texParameteri(gl.TEXTURE_2D, parameter, gl.NEAREST);
    }
    for (const parameter of [gl.TEXTURE_WRAP_S, gl.TEXTURE_WRAP_T]) {
      gl.texParameteri(gl.TEXTURE_2D, parameter, gl.CLAMP_TO_EDGE);
    }
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
  }

  setPoints(xs: Float32Array, ys: Float32Array): void {
    const gl = this.gl;
    gl.bindVertexArray(this.vao);
    this.attribute('a_x', this.xBuffer, xs, 1, gl.FLOAT, false);
    this.attribute('a_y', this.yBuffer, ys, 1, gl.FLOAT, false);
    gl.bindVertexArray(null);
    this.pointCount = xs.length;
  }

  /** Four bytes a point. */
  setColors(rgba: Uint8Array): void {
    const gl = this.gl;
    gl.bindVertexArray(this.vao);
    this.attribute('a_color', this.colorBuffer, rgba, 4, gl.UNSIGNED_BYTE, true);
    gl.bindVertexArray(null);
  }

  clear(width: number, height: number): void {
    const gl = this.gl;
    gl.viewport(0, 0, width, height);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
  }

  /** Draws every point, or only the `subset` indices. */
  drawPoints(view: ViewTransform, style: PointStyle, subset?: Uint32Array): void {
    const gl = this.gl;
    gl.useProgram(this.points);
    gl.uniform2f(this.uniform(this.points, 'u_center'), view.cx, view.cy);
    gl.uniform1f(this.uniform(this.points, 'u_k'), view.k);
    gl.uniform2f(this.uniform(this.points, 'u_half'), view.width / 2, view.height / 2);
    gl.uniform1f(this.uniform(this.points, 'u_size'), style.size);
    gl.uniform1f(this.uniform(this.points, 'u_alpha'), style.alpha);
    gl.uniform1f(this.uniform(this.points, 'u_fade'), style.fade);
    gl.bindVertexArray(this.vao);
    if (subset) {
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.subsetBuffer);
      gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, subset, gl.DYNAMIC_DRAW);
      gl.drawElements(gl.POINTS, subset.length, gl.UNSIGNED_INT, 0);
    } else {
      gl.drawArrays(gl.POINTS, 0, this.pointCount);
    }
    gl.bindVertexArray(null);
  }

  /**
   * Waits until the GPU has drawn what it was given (once, to time a frame): reading a pixel back
   * must wait for it, where `finish()` may return at once in a browser.
   */
  finish(): void {
    this.gl.readPixels(0, 0, 1, 1, this.gl.RGBA, this.gl.UNSIGNED_BYTE, new Uint8Array(4));
  }

  /** Draws an RGBA image (row 0 at the top) over the whole view. */
  drawImage(rgba: Uint8Array, columns: number, rows: number): void {
    const gl = this.gl;
    gl.useProgram(this.heat);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.heatTexture);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, columns, rows, 0, gl.RGBA, gl.UNSIGNED_BYTE, rgba);
    gl.uniform1i(this.uniform(this.heat, 'u_heat'), 0);
    gl.bindVertexArray(this.emptyVao);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    gl.bindVertexArray(null);
  }

  dispose(): void {
    const gl = this.gl;
    for (const buffer of this.buffers) gl.deleteBuffer(buffer);
    gl.deleteTexture(this.heatTexture);
    gl.deleteVertexArray(this.vao);
    gl.deleteVertexArray(this.emptyVao);
    gl.deleteProgram(this.points);
    gl.deleteProgram(this.heat);
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }

  private buffer(): WebGLBuffer {
    const buffer = this.gl.createBuffer()!;
    this.buffers.push(buffer);
    return buffer;
  }

  private attribute(
    name: string,
    buffer: WebGLBuffer,
    data: ArrayBufferView,
    size: number,
    type: number,
    normalized: boolean,
  ): void {
    const gl = this.gl;
    const location = gl.getAttribLocation(this.points, name);
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
    gl.enableVertexAttribArray(location);
    gl.vertexAttribPointer(location, size, type, normalized, 0, 0);
  }

  private uniform(target: WebGLProgram, name: string): WebGLUniformLocation | null {
    return this.gl.getUniformLocation(target, name);
  }
}

function program(gl: WebGL2RenderingContext, vertex: string, fragment: string): WebGLProgram {
  const linked = gl.createProgram()!;
  for (const [type, source] of [
    [gl.VERTEX_SHADER, vertex],
    [gl.FRAGMENT_SHADER, fragment],
  ] as const) {
    const shader = gl.createShader(type)!;
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
      throw new Error(`scatter shader: ${gl.getShaderInfoLog(shader)}`);
    }
    gl.attachShader(linked, shader);
    gl.deleteShader(shader);
  }
  gl.linkProgram(linked);
  if (!gl.getProgramParameter(linked, gl.LINK_STATUS)) {
    throw new Error(`scatter program: ${gl.getProgramInfoLog(linked)}`);
  }
  return linked;
}
