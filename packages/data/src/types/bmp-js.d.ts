declare module 'bmp-js' {
  /** bmp-js's decoded image: `data` is width·height·4 bytes in A, B, G, R order. */
  export interface BmpImage {
    width: number;
    height: number;
    data: Buffer;
  }
  const bmp: { decode(buffer: Buffer): BmpImage };
  export default bmp;
}
