/// <reference types="svelte" />
/** Vite bundles imported stylesheets. */
declare module '*.css';
