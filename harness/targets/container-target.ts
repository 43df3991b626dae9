import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { GenericContainer, getContainerRuntimeClient, Wait, type StartedTestContainer } from 'testcontainers';
import { InstaNetError } from '../errors.ts';
import { TargetStartError, type Target, type TargetInstance } from './target.ts';

// A submission run in a container (`instanet grade --sandbox container --image python:3.12-slim`):
// for machines without bubblewrap, or a course that wants the exact Python of its lab image.
// Each start() gets a fresh copy of the workspace, bind-mounted at /submission, and a mapped port.
//
// Student servers bind 'localhost' (the course's constants.py), which a mapped port cannot reach
// inside a container; a small relay in the container forwards 0.0.0.0:5000 to the server's
// 127.0.0.1:5001 and starts listening only once the server does, so "listening" keeps its meaning.

export const CONTAINER_PORT = 5000;
const SERVER_PORT = 5001;
const MOUNT = '/submission';
const RELAY_NAME = '.instanet-relay.py';

const RELAY = `
import asyncio, socket, sys, time
async def pipe(r, w):
    try:
        while True:
            data = await r.read(65536)
            if not data:
                break
            w.write(data)
            await w.drain()
    except Exception:
        pass
    finally:
        try:
            w.close()
        except Exception:
            pass
async def handle(cr, cw):
    try:
        sr, sw = await asyncio.open_connection('127.0.0.1', ${SERVER_PORT})
    except OSError:
        cw.close()
        return
    await asyncio.gather(pipe(cr, sw), pipe(sr, cw))
async def main():
    while True:
        try:
            socket.create_connection(('127.0.0.1', ${SERVER_PORT}), timeout=1).close()
            break
        except OSError:
            await asyncio.sleep(0.05)
    server = await asyncio.start_server(handle, '0.0.0.0', ${CONTAINER_PORT})
    async with server:
        await server.serve_forever()
asyncio.run(main())
`;

export interface ContainerTargetOptions {
  /** Prepared workspace (code + data/), copied for every start. */
  workspace: string;
  image: string;
  /** argv of the server inside the container; "{port}" is replaced by the server's port. */
  command: readonly string[];
  readyMs: number;
  limits?: { memoryMiB: number; processes: number; fileSizeMiB: number; cpuSeconds: number };
}

export class ContainerUnavailableError extends InstaNetError<'INSTANET_ERR_CONTAINER_RUNTIME'> {
  constructor(message: string) {
    super('INSTANET_ERR_CONTAINER_RUNTIME', message);
  }
}

/** Throws a clear error when no container engine answers (testcontainers' own is a stack trace). */
export async function assertContainerRuntime(): Promise<void> {
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    throw new ContainerUnavailableError(`--sandbox container needs a Docker-compatible engine: ${(error as Error).message.split('\n')[0]}`);
  }
}

export function containerTarget(options: ContainerTargetOptions): Target {
  return {
    description: `${options.command.join(' ')} in ${options.image}`,
    profile: 'course',
    async start(): Promise<TargetInstance> {
      const copy = await mkdtemp(path.join(os.tmpdir(), 'instanet-container-'));
      await mkdir(copy, { recursive: true });
      await cp(options.workspace, copy, { recursive: true });
      await writeFile(path.join(copy, RELAY_NAME), RELAY);
      const serverArgv = options.command.map((a) => a.replaceAll('{port}', String(SERVER_PORT)));
      const quoted = serverArgv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      let stdout = '';
      const stderr = ''; // the engine's log stream interleaves both; it is kept as stdout
      const keep = (s: string, chunk: string) => (s + chunk).slice(-256 * 1024);
      let container: StartedTestContainer;
      try {
        let builder = new GenericContainer(options.image)
          .withBindMounts([{ source: copy, target: MOUNT, mode: 'rw' }])
          .withWorkingDir(MOUNT)
          .withExposedPorts(CONTAINER_PORT)
          .withCommand(['sh', '-c', `${quoted} & exec python3 ${RELAY_NAME}`])
          .withEnvironment({ PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' })
          .withWaitStrategy(Wait.forListeningPorts())
          .withStartupTimeout(options.readyMs)
          .withLogConsumer((stream: Readable) => {
            stream.on('data', (c: Buffer | string) => (stdout = keep(stdout, c.toString())));
          });
        if (options.limits) {
          const mib = 1024 * 1024;
          builder = builder
            .withResourcesQuota({ memory: options.limits.memoryMiB / 1024, cpu: 1 })
            .withUlimits({
              nproc: { soft: options.limits.processes, hard: options.limits.processes },
              fsize: { soft: options.limits.fileSizeMiB * mib, hard: options.limits.fileSizeMiB * mib },
              cpu: { soft: options.limits.cpuSeconds, hard: options.limits.cpuSeconds },
            });
        }
        container = await builder.start();
      } catch (error) {
        await rm(copy, { recursive: true, force: true }).catch(() => undefined);
        throw new TargetStartError(`no-listen: the container did not start listening: ${(error as Error).message.split('\n')[0]}`, { stdout, stderr });
      }
      return {
        host: container.getHost(),
        port: container.getMappedPort(CONTAINER_PORT),
        dataDir: path.join(copy, 'data'),
        output: () => ({ stdout, stderr }),
        async stop() {
          try {
            await container.stop({ timeout: 1000 });
            return { status: 'ok' };
          } catch (error) {
            return { status: 'killed', detail: (error as Error).message };
          } finally {
            await rm(copy, { recursive: true, force: true }).catch(() => undefined);
          }
        },
      };
    },
  };
}
