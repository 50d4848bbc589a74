/** The `home-energy` command: read devices, run the virtual home, run benchmarks. */
import { UsageError } from './args';

export type Out = (line: string) => void;

const USAGE = `usage: home-energy <command> [options]

commands:
  p1 parse [FILE]                       parse telegrams from FILE or stdin, one JSON object per line
  p1 read --serial PATH [--baud auto|115200|9600] | --tcp HOST:PORT | --sessy URL [--user U --password P]
                                        watch a live meter, one normalized reading per line
  sessy status --url URL [--user U --password P]
                                        read a Sessy battery: soc (%), power (W, + discharge), setpoint, state, strategy
  sessy setpoint WATTS --url URL --user U --password P
                                        switch to API strategy when needed and set the setpoint (+ discharge, − charge)
  sessy strategy NAME --url URL --user U --password P
                                        set the strategy: api, nom, roi (dynamic), idle, eco, sessy_connect
  sessy discover [--timeout S] [--json]  list Sessy dongles found by mDNS (name, address, serial, type)
  sofar read (--serial PATH [--baud B] | --tcp HOST:PORT) [--unit N] [--full]
                                        read a Sofar ME3000SP: state, batteryPower (W, + discharge), soc, gridPower
  sofar setpoint WATTS (--serial PATH | --tcp HOST:PORT) [--unit N]
                                        passive-mode command (+ discharge, − charge, 0 standby); prints the reply
  sofar mode standby|auto (--serial PATH | --tcp HOST:PORT) [--unit N]
  ksem read --host H [--port P] [--unit N] [--tls [--insecure | --fingerprint F | --ca FILE]] [--watch]
                                        read a KOSTAL KSEM: power (W, + import), phases, frequency, energy, serial
  sim [--tcp-port N] [--pty] [--profile NL|BE] [--sessy-port N] [--sofar-port N] [--sofar-pty] [--ksem-port N] [--sessy-batteries N] [--mdns] [--json]
                                        run the virtual home and print its endpoints
  bench p1-parse [--seconds S] [--json]  parser throughput against dsmr-parser and p1-reader
  bench zero-export --load FILE[:COL] --pv FILE[:COL] [--batteries N] [--meter-period S] [--json]
                                         closed-loop zero-export controllers against an oracle and baselines
  help                                  this text
`;

export async function main(argv: string[], out: Out = (l) => process.stdout.write(l + '\n'), err: Out = (l) => process.stderr.write(l + '\n')): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'p1':
        return await require('./p1').runP1(rest, out, err);
      case 'sessy':
        return await require('./sessy').runSessy(rest, out, err);
      case 'sofar':
        return await require('./sofar').runSofar(rest, out, err);
      case 'ksem':
        return await require('./ksem').runKsem(rest, out, err);
      case 'sim':
        return await require('./sim').runSim(rest, out);
      case 'bench':
        return await require('./bench').runBench(rest, out, err);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(USAGE);
        return cmd ? 0 : 2;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`home-energy: ${e.message}`);
      err(USAGE);
      return 2;
    }
    throw e;
  }
}
