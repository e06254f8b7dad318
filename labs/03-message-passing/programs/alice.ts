/**
 * Alice (direct naming): she sends to "bob" and receives from "bob". The link between the two is set
 * up by the first of them to use it: one message queue per direction.
 */
import { converse } from './conversation.js';

converse('bob', true);
