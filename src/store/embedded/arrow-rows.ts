import { type Data, DataType, type Field, makeBuilder, makeData, RecordBatch, type Schema, Struct, Table } from "apache-arrow";

/**
 * Index rows as one Arrow table of the index's schema, built column by column, for LanceDB's
 * `add` and `mergeInsert`.
 *
 * Why not hand LanceDB the row objects: it converts them itself (makeArrowTable), walking every
 * value of every row through generic paths, and a vector column as a JS array appended one
 * float at a time. Sampled while bench/speed.ts filled 100k memories, that conversion and the
 * number arrays it needed were about a third of everything the process allocated (1.2 of 4.2 GB
 * in 40 s), which kept V8's heap well above what was live. Here a vector column is one
 * Float32Array that the rows' vectors are copied into, and every other column goes through
 * one Arrow builder of its declared type. (LanceDB loads apache-arrow's CommonJS build and
 * omnimem its ES module build, so LanceDB sees this table as a foreign one and re-wraps its
 * schema and batches, without copying their buffers.)
 */
export function rowsToTable(rows: readonly Record<string, unknown>[], schema: Schema): Table {
  const children = schema.fields.map((field) => columnData(rows, field));
  const struct = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new Table([new RecordBatch(schema, struct)]);
}

function columnData(rows: readonly Record<string, unknown>[], field: Field): Data {
  const type: DataType = field.type;
  if (DataType.isFixedSizeList(type) && DataType.isFloat(type.children[0]!.type)) {
    const size = type.listSize;
    const flat = new Float32Array(rows.length * size);
    rows.forEach((row, i) => {
      const vector = row[field.name] as Float32Array;
      if (vector.length !== size) throw new RangeError(`${field.name} of row ${i} has ${vector.length} values, not ${size}`);
      flat.set(vector, i * size);
    });
    const values = makeData({ type: type.children[0]!.type, length: flat.length, nullCount: 0, data: flat });
    return makeData({ type, length: rows.length, nullCount: 0, child: values });
  }
  const builder = makeBuilder({ type, nullValues: [null, undefined] });
  for (const row of rows) builder.append(row[field.name]);
  const data = builder.flush();
  builder.finish();
  return data;
}
