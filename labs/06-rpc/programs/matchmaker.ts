/**
 * Step 4's matchmaker: a MATCHMAKER server at the port every program of the run knows (a parameter),
 * holding the table program name -> port. It serves until it gets SIGTERM.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { startMatchmaker } from '../../../main/runtime/rpc/matchmaker.js';

const server = await startMatchmaker(lab.int('matchmakerPort'), lab);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
