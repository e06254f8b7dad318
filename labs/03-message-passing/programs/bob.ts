/**
 * Bob (direct naming): he receives from "alice" and answers her, by name.
 */
import { converse } from './conversation.js';

converse('alice', false);
