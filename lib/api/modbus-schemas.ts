/**
 * JSON Schemas of the Modbus side: the `modbus-link` config node's settings as the editor saves
 * them (numbers may arrive as strings from text inputs; empty string = default).
 */
import type { SchemaObject } from 'ajv';

const intOrText = (min: number, max: number): SchemaObject => ({
  anyOf: [
    { type: 'integer', minimum: min, maximum: max },
    { type: 'string', pattern: '^\\s*\\d*\\s*$' },
  ],
});

export const modbusLinkConfigSchema: SchemaObject = {
  $id: 'home-energy/modbus-link-config',
  type: 'object',
  required: ['transport'],
  properties: {
    name: { type: 'string' },
    transport: { enum: ['tcp', 'tls', 'rtu', 'rtu-over-tcp'] },
    host: { type: 'string' },
    port: intOrText(1, 65535),
    serialPort: { type: 'string' },
    baud: intOrText(50, 4000000),
    parity: { enum: ['none', 'even', 'odd'] },
    dataBits: { enum: [7, 8, '7', '8'] },
    stopBits: { enum: [1, 2, '1', '2'] },
    tlsTrust: { enum: ['verify', 'ca', 'fingerprint', 'insecure'] },
    tlsCa: { type: 'string' },
    tlsFingerprint: { type: 'string' },
    tlsCert: { type: 'string' },
    timeout: intOrText(1, 600000),
    interRequestDelay: intOrText(0, 60000),
    connectDelay: intOrText(0, 60000),
    maxQueue: intOrText(1, 10000),
    version: { type: 'integer', minimum: 1 },
  },
  allOf: [
    {
      if: { properties: { transport: { enum: ['tcp', 'tls', 'rtu-over-tcp'] } } },
      then: { required: ['host'], properties: { host: { type: 'string', pattern: '\\S' } } },
    },
    {
      if: { properties: { transport: { const: 'rtu' } } },
      then: { required: ['serialPort'], properties: { serialPort: { type: 'string', pattern: '\\S' } } },
    },
    {
      if: { properties: { transport: { const: 'tls' }, tlsTrust: { const: 'fingerprint' } }, required: ['tlsTrust'] },
      then: { required: ['tlsFingerprint'], properties: { tlsFingerprint: { type: 'string', pattern: '^\\s*([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}\\s*$' } } },
    },
    {
      if: { properties: { transport: { const: 'tls' }, tlsTrust: { const: 'ca' } }, required: ['tlsTrust'] },
      then: { required: ['tlsCa'], properties: { tlsCa: { type: 'string', pattern: '-----BEGIN CERTIFICATE-----' } } },
    },
  ],
};
