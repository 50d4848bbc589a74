/**
 * The two ways a simulated RS485 device is reached, for any ModbusServer with RTU framing: an
 * RTU-over-TCP gateway (like a USR/Waveshare RS485-to-Ethernet box in transparent mode) and a socat
 * pty pair (a USB RS485 adapter). Several simulated devices can share one gateway or pty (one bus):
 * attach every device's server to the stream with `share()`.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type { ModbusServer } from '../transport/modbus/server';
import { closeServer, listen, trackConnections } from '../transport/net-server';
import { SocatPair } from './pty';

type SerialLike = Duplex & { close?: (cb?: (e?: Error | null) => void) => void; isOpen?: boolean };

export class RtuEndpoints extends EventEmitter {
  private gateway?: net.Server;
  private gatewaySockets = new Set<net.Socket>();
  private pty?: SocatPair;
  private ptyPort?: SerialLike;

  /** `name` appears in socat's temp dir and messages ("enector", "sofar"). */
  constructor(
    private readonly server: ModbusServer,
    private readonly name: string,
  ) {
    super();
  }

  async startGateway(o: { host?: string; port?: number } = {}): Promise<{ host: string; port: number }> {
    if (this.gateway) return this.gatewayAddress!;
    const server = net.createServer((sock) => {
      sock.setNoDelay(true);
      this.server.attach(sock);
      this.emit('connection');
    });
    this.gatewaySockets = trackConnections(server);
    await listen(server, o.port ?? 0, o.host ?? '127.0.0.1', (e) => this.emit('problem', e));
    this.gateway = server;
    return this.gatewayAddress!;
  }

  get gatewayAddress(): { host: string; port: number } | undefined {
    const a = this.gateway?.address();
    return a && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
  }

  /** Closes every gateway client connection now (a fault). */
  dropClients(): void {
    for (const s of this.gatewaySockets) s.destroy();
    this.gatewaySockets.clear();
  }

  async stopGateway(): Promise<void> {
    const g = this.gateway;
    this.gateway = undefined;
    await closeServer(g, this.gatewaySockets);
  }

  /** Serves RTU on a socat pty pair; clients open the returned path. */
  async startPty(o: { dir?: string; socat?: string; baudRate?: number } = {}): Promise<{ path: string }> {
    if (this.pty) return { path: this.pty.b };
    const pair = new SocatPair({ dir: o.dir, tmpPrefix: `home-energy-${this.name}-`, a: 'device', b: this.name, socat: o.socat, neededBy: `the serial ${this.name} simulator` });
    pair.on('exit', (e: Error) => this.emit('problem', e));
    await pair.start();
    this.pty = pair;
    try {
      const { SerialPort } = require('serialport') as typeof import('serialport');
      const port = new SerialPort({ path: pair.a, baudRate: o.baudRate ?? 9600, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
      this.ptyPort = port;
      this.server.attach(port);
    } catch (e) {
      await this.stopPty();
      throw e;
    }
    return { path: pair.b };
  }

  get ptyPath(): string | undefined {
    return this.pty?.b;
  }

  async stopPty(): Promise<void> {
    const port = this.ptyPort;
    this.ptyPort = undefined;
    if (port && port.isOpen && port.close) await new Promise<void>((r) => port.close!(() => r()));
    const pair = this.pty;
    this.pty = undefined;
    if (pair) await pair.stop();
  }

  async stop(): Promise<void> {
    await this.stopGateway();
    await this.stopPty();
  }
}
