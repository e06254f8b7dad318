/** One bridge per page: Electron's preload when it is there, otherwise the browser host's WebSocket. */
import type { Bridge } from '../../../../main/contract/commands.js';
import { ElectronBridge } from './electron-bridge.js';
import { pageToken } from './page-token.js';
import { WebSocketBridge } from './websocket-bridge.js';

export function pickBridge(onLost: (message: string) => void): Bridge {
  if (window.ipcLab) return new ElectronBridge(window.ipcLab);
  return new WebSocketBridge(WebSocketBridge.urlForPage(window.location), pageToken(window.sessionStorage), onLost);
}
