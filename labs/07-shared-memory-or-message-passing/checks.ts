/** The checks of this lab: steps 03-05's come from sharing-checks.ts. */
import { defineChecks } from '../../main/engine/check-kit.js';
import { sharingChecks } from './sharing-checks.js';

export default defineChecks({ ...sharingChecks });
