/** Environment variables the engine gives every lab process (and that lab.spawn passes on). */
export const LAB_ENV = {
  traceSocket: 'IPC_LAB_TRACE_SOCKET',
  role: 'IPC_LAB_ROLE',
  params: 'IPC_LAB_PARAMS',
  programDir: 'IPC_LAB_PROGRAM_DIR',
  runDir: 'IPC_LAB_RUN_DIR',
  fds: 'IPC_LAB_FDS',
  /**
   * Prefix for the run's named kernel objects (lab.shmName, lab.mqName: "/ipc-lab-<engine>-<run>-"):
   * the engine unlinks whatever carries it when the run ends.
   */
  objectPrefix: 'IPC_LAB_OBJECT_PREFIX',
  /**
   * The pid of the process that spawned this one (the host, or the lab program whose lab.spawn did).
   * The runtime arms its parent-death signal against it: process.ppid is read live, so a process whose
   * parent died while Node was still starting would see its new parent (init or a subreaper) and never
   * notice it was orphaned (found by the host-crash test: 1 orphan in about 230 host SIGKILLs).
   */
  spawnerPid: 'IPC_LAB_SPAWNER_PID',
} as const;
