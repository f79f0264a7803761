// Chinese and English. The choice is kept in localStorage; without one, the browser's languages
// decide (the brands are Chinese: zh-CN unless the browser asks for English first).
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './locales/en';
import { zhCN } from './locales/zh-CN';

export const languages = [{ code: 'zh-CN', label: '简体中文' }, { code: 'en', label: 'English' }] as const;
export type Language = (typeof languages)[number]['code'];
const languageItem = 'closedloop.language';


export function initialLanguage(): Language {
  const kept = localStorage.getItem(languageItem);
  if (kept === 'en' || kept === 'zh-CN') return kept;
  for (const lang of navigator.languages ?? [navigator.language]) {
    if (lang.toLowerCase().startsWith('zh')) return 'zh-CN';
    if (lang.toLowerCase().startsWith('en')) return 'en';
  }
  return 'zh-CN';
}

export function setLanguage(lang: Language): void {
  localStorage.setItem(languageItem, lang);
  void i18n.changeLanguage(lang);
}

i18n.on('languageChanged', (lang) => { document.documentElement.lang = lang; });

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
  lng: initialLanguage(),
  fallbackLng: 'en',
  interpolation: { escapeValue: false }, // React escapes.
  returnNull: false,
});
document.documentElement.lang = i18n.language;

export default i18n;
