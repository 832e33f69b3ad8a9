// What the numbers were measured on: the machine is shared, so load is part of every result.
import os from 'node:os';

export interface MachineInfo {
  node: string;
  platform: string;
  arch: string;
  cpuModel: string;
  cores: number;
  totalMemMb: number;
  loadavg: number[];
}

export const machineInfo = (): MachineInfo => {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: os.platform(),
    arch: os.arch(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    totalMemMb: Math.round(os.totalmem() / 2 ** 20),
    loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
};

/** Whole-machine CPU time (all cores) as [busy, total] jiffies-ish ms, to compute utilization between two reads. */
export const cpuTimes = (): { busy: number; total: number } => {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
};
