// First: takes the access token out of the URL before the router (imported by App) reads the fragment.
import './lib/bridge/page-token.js';
import { mount } from 'svelte';
import App from './App.svelte';
import { AppState } from './lib/state/app-state.svelte.js';
import './app.css';

const target = document.getElementById('app')!;

function showFatal(error: unknown): void {
  // Last resort if the app cannot even mount: plain DOM, never a blank page.
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const box = document.createElement('div');
  box.className = 'fatal';
  const title = document.createElement('h1');
  title.textContent = 'IPC Lab could not start its window';
  const text = document.createElement('pre');
  text.textContent = message;
  const hint = document.createElement('p');
  hint.textContent = 'Reload the page. If it happens again, restart IPC Lab with npm start and report this message.';
  box.append(title, text, hint);
  target.replaceChildren(box);
}

try {
  const app = new AppState();
  window.addEventListener('unhandledrejection', (event) => app.reportUnexpected(event.reason));
  window.addEventListener('error', (event) => app.reportUnexpected(event.error ?? event.message));
  target.replaceChildren();
  mount(App, { target, props: { app } });
} catch (error) {
  console.error(error);
  showFatal(error);
}
