/**
 * The Electron host: one window showing dist/renderer/index.html, talking to the engine through the
 * preload's `window.ipcLab` and ipcMain.handle. The rules (who may call, which commands, when events
 * flow) live in ipc-gate.ts; this file only wires them to Electron.
 *
 * Lab processes: the engine spawns them with process.execPath and ELECTRON_RUN_AS_NODE=1 so Electron's
 * binary acts as plain Node. Nothing here may break that: no process.env edits, no command-line switches
 * that leak into children, and the runAsNode fuse stays on in electron-builder.yml.
 */
import { app, BrowserWindow, dialog, ipcMain, session, type IpcMainInvokeEvent } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { COMMAND_NAMES } from '../../contract/commands.js';
import type { EngineHandle } from '../../engine/engine-handle.js';
import { openEngine } from '../../engine/engine.js';
import { rendererDir } from '../project-paths.js';
import { commandChannel, EVENT_CHANNEL, ForeignSenderError, IpcGate, isAppUrl, READY_CHANNEL, SAVE_PDF_CHANNEL, type SenderFrame } from './ipc-gate.js';
import { isAllowedPrintRequest, PRINT_PARTITION, savePdf, type PrintHost } from './print-report.js';
import { ELECTRON_CSP, mainWindowOptions } from './window-options.js';

const indexHtml = join(rendererDir(), 'index.html');
const appUrl = pathToFileURL(indexHtml).href;
const preloadPath = fileURLToPath(new URL('./preload.cjs', import.meta.url));

let win: BrowserWindow | null = null;
let engine: EngineHandle | null = null;

// Two windows on one database would be two writers: a second start focuses the first window instead.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  void start();
}

async function start(): Promise<void> {
  app.enableSandbox();
  // Every webContents, ours or any a bug lets in: no new windows, no <webview>, no navigation away.
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.on('will-navigate', (event) => {
      if (!isAppUrl(event.url, appUrl)) event.preventDefault();
    });
  });

  await app.whenReady();

  try {
    engine = await openEngine({ dataDir: app.getPath('userData') });
  } catch (error) {
    dialog.showErrorBox('IPC Lab could not start', `${error instanceof Error ? error.message : String(error)}`);
    app.exit(1);
    return;
  }
  const gate = new IpcGate({
    appUrl,
    engine,
    send: (event) => {
      if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event);
    },
    warn: (line) => console.warn(line),
  });
  engine.onEvent((event) => gate.push(event));

  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [ELECTRON_CSP] } });
  });

  const senderOf = (event: IpcMainInvokeEvent): SenderFrame | null => {
    const frame = event.senderFrame;
    if (!frame || !win || win.isDestroyed()) return null;
    return { url: frame.url, isOurMainFrame: event.sender.id === win.webContents.id && frame.parent === null };
  };
  for (const command of COMMAND_NAMES) {
    ipcMain.handle(commandChannel(command), (event, request: unknown) => gate.invoke(senderOf(event), command, request));
  }
  ipcMain.handle(READY_CHANNEL, (event) => gate.markReady(senderOf(event)));

  // Reports as PDF (print-report.ts): asked by our window only; the hidden print window's own session
  // grants nothing and lets through only the report file being printed.
  const printSession = session.fromPartition(PRINT_PARTITION);
  printSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  printSession.setPermissionCheckHandler(() => false);
  const printHost: PrintHost = {
    allowedFiles: new Set(),
    openWindow: (options) => {
      const printWindow = new BrowserWindow(options);
      return {
        loadFile: (path) => printWindow.webContents.loadFile(path),
        printToPDF: (pdfOptions) => printWindow.webContents.printToPDF(pdfOptions),
        destroy: () => {
          if (!printWindow.isDestroyed()) printWindow.destroy();
        },
      };
    },
    askWhereToSave: (options) => (win && !win.isDestroyed() ? dialog.showSaveDialog(win, options) : dialog.showSaveDialog(options)),
    defaultFolder: () => app.getPath('documents'),
  };
  printSession.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAllowedPrintRequest(details.url, printHost.allowedFiles) }));
  ipcMain.handle(SAVE_PDF_CHANNEL, (event, html: unknown, fileName: unknown) => {
    const frame = senderOf(event);
    if (!gate.isTrustedSender(frame)) throw new ForeignSenderError(frame?.url);
    return savePdf(printHost, html, fileName);
  });

  const createWindow = (): void => {
    win = new BrowserWindow(mainWindowOptions(preloadPath));
    const current = win;
    current.once('ready-to-show', () => current.show());
    // A reload or crash replaces the page: hold events until the new one says it is ready.
    current.webContents.on('did-start-navigation', (details) => {
      if (details.isMainFrame && !details.isSameDocument) gate.reset();
    });
    current.webContents.on('render-process-gone', () => gate.reset());
    current.on('closed', () => {
      gate.reset();
      if (win === current) win = null;
    });
    if (!existsSync(indexHtml)) {
      dialog.showErrorBox('IPC Lab', `The UI is not built (${indexHtml} is missing): run npm run build`);
    }
    void current.loadFile(indexHtml);
  };
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// Stop every run and close the database before Electron exits; quit again once that is done.
let engineClosed = false;
app.on('will-quit', (event) => {
  if (engineClosed || !engine) return;
  event.preventDefault();
  const closing = engine;
  engine = null;
  closing
    .close()
    .catch((error: unknown) => console.error('IPC Lab: closing the engine failed:', error))
    .finally(() => {
      engineClosed = true;
      app.quit();
    });
});
