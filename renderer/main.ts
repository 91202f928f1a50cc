import { mount } from 'svelte';
import App from './components/App.svelte';
import './styles.css';
import { getApi } from './lib/api';
import { indexedDbRecovery } from './lib/recoveryStore';
import { AppState } from './state/app.svelte';

const app = new AppState(getApi(), window.localStorage, typeof indexedDB === 'undefined' ? null : indexedDbRecovery());
mount(App, { target: document.getElementById('app')!, props: { app } });
void app.init();
