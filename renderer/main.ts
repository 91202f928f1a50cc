import { mount } from 'svelte';
import App from './components/App.svelte';
import './styles.css';
import { getApi } from './lib/api';
import { AppState } from './state/app.svelte';

const app = new AppState(getApi(), window.localStorage);
mount(App, { target: document.getElementById('app')!, props: { app } });
void app.init();
