// The app's links (app/url_state.hpp): settings to a query and back, bad keys, the presets.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "app/settings.hpp"
#include "app/url_state.hpp"
#include "test_helpers.hpp"

namespace cfdm::test {
namespace {

TEST(UrlState, FormatAndParseRoundTrip) {
  app::Settings s = app::defaults_for("fashion-mnist");
  s.n_train = 1234, s.sampler.n_samples = 17, s.sampler.n_steps = 77, s.sampler.n_draws = 5, s.sampler.seed = 42;
  s.sampler.sigma = 0.123456789f, s.sampler.start_t = 0.3f, s.sampler.estimator = Estimator::knn, s.sampler.knn.k = 7, s.sampler.knn.l = 9;
  s.classes_mask = (1 << 3) | (1 << 8), s.pca = true, s.pca_dim = 32;
  std::string error;
  const app::Settings back = app::parse_state("?" + app::format_state(s), app::Settings{}, &error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(app::format_state(back), app::format_state(s));
  EXPECT_EQ(back.sampler.sigma, s.sampler.sigma) << "floats survive bit for bit";
  EXPECT_EQ(back.classes_mask, s.classes_mask);
  EXPECT_EQ(back.dataset, "fashion-mnist");
  EXPECT_EQ(app::format_state(app::Settings{}).find("ui="), std::string::npos) << "defaults are left out";
  s.ui = app::Settings::Ui::min;
  s.autoplay = false;
  const app::Settings shown = app::parse_state(app::format_state(s), app::Settings{}, &error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(shown.ui, app::Settings::Ui::min);
  EXPECT_FALSE(shown.autoplay);
  s.sampler.sigma = 0.05f;
  EXPECT_NE(app::format_state(s).find("sigma=0.05&"), std::string::npos);
  // A fuzzer regression: 1.1e+02 in a query reads as "1.1e 02" ('+' is a space there).
  s.sampler.sigma = 110.0f;
  const app::Settings big = app::parse_state(app::format_state(s), app::Settings{}, &error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(big.sampler.sigma, 110.0f);
}

// The model travels in a link, written only when it is not the default (cfdm), so links made
// before the analytic family read and write the same.
TEST(UrlState, TheModelTravelsInALink) {
  app::Settings s = app::defaults_for("mnist");
  EXPECT_EQ(app::format_state(s).find("model="), std::string::npos);
  std::string error;
  for (cfdm::Model model : {cfdm::Model::wiener, cfdm::Model::local, cfdm::Model::pca_local, cfdm::Model::nearest}) {
    s.sampler.denoiser.model = model;
    const std::string link = app::format_state(s);
    EXPECT_NE(link.find(std::string("model=") + model_name(model)), std::string::npos) << link;
    EXPECT_EQ(app::parse_state(link, app::Settings{}, &error).sampler.denoiser.model, model);
    EXPECT_EQ(error, "");
  }
  const app::Settings bad = app::parse_state("model=unet", app::Settings{}, &error);
  EXPECT_EQ(bad.sampler.denoiser.model, cfdm::Model::cfdm);
  EXPECT_NE(error.find("model=unet (a bad value: the model is one of cfdm, wiener, local, pca-local or nearest"),
            std::string::npos)
      << error;
}

// The comparison view's models travel in a link (2 to 4 distinct known names); anything else is
// refused with its key named, and the models before it stay.
TEST(UrlState, TheComparedModelsTravelInALink) {
  app::Settings s = app::defaults_for("mnist");
  EXPECT_EQ(app::format_state(s).find("models="), std::string::npos);
  s.models = {"exact", "scfdm", "local"};
  const std::string link = app::format_state(s);
  EXPECT_NE(link.find("models=exact%2Cscfdm%2Clocal"), std::string::npos) << link;
  std::string error;
  EXPECT_EQ(app::parse_state(link, app::Settings{}, &error).models, s.models);
  EXPECT_EQ(error, "");
  EXPECT_EQ(app::parse_state("models=wiener,nearest", s, &error).models, (std::vector<std::string>{"wiener", "nearest"}));
  EXPECT_EQ(app::parse_state("models=local,local-knn&k=30&l=40", s, &error).models,
            (std::vector<std::string>{"local", "local-knn"}));
  EXPECT_TRUE(app::parse_state("models=", s, &error).models.empty()) << "an empty value turns the comparison off";
  // Each refusal says why: the count, an unknown name (the known ones listed), a name twice.
  for (const auto& [bad, why] : std::vector<std::pair<const char*, const char*>>{
           {"models=exact", "(a bad value: the comparison shows 2 to 4 models side by side (1 given))"},
           {"models=exact,unet",
            "(a bad value: unknown model 'unet' in the comparison: use exact, scfdm, wiener, local, "
            "local-knn, pca-local or nearest)"},
           {"models=local,local", "(a bad value: the comparison names 'local' twice)"},
           {"models=exact,scfdm,wiener,local,nearest", "(5 given)"},
           {"models=exact,,local", "unknown model ''"},
           {"models=exact,scfdm,wiener,local,nearest,pca-local,exact,exact,exact", "(9 given)"}}) {
    const app::Settings kept = app::parse_state(bad, s, &error);
    EXPECT_EQ(kept.models, s.models) << bad;
    EXPECT_NE(error.find(why), std::string::npos) << bad << ": " << error;
  }
}

// The time grid travels in a link: written only for DDIM, so older links stay the same.
TEST(UrlState, TheTimeGridTravelsInALink) {
  app::Settings s;
  EXPECT_EQ(app::format_state(s).find("schedule="), std::string::npos);
  s.sampler.schedule = Schedule::ddim;
  const std::string link = app::format_state(s);
  EXPECT_NE(link.find("schedule=ddim"), std::string::npos) << link;
  std::string error;
  EXPECT_EQ(app::parse_state(link, app::Settings{}, &error).sampler.schedule, Schedule::ddim);
  EXPECT_EQ(error, "");
  EXPECT_EQ(app::parse_state("schedule=flow", s, &error).sampler.schedule, Schedule::flow);
  const app::Settings kept = app::parse_state("schedule=cosine", s, &error);
  EXPECT_EQ(kept.sampler.schedule, Schedule::ddim);
  EXPECT_NE(error.find("schedule"), std::string::npos) << error;
}

// The view travels in a link: its centre and zoom, the 3-D camera's angles, the trails, the step
// shown, and the speed; at their defaults they are left out.
TEST(UrlState, TheViewTravelsInALink) {
  app::Settings s;
  EXPECT_EQ(app::format_state(s).find("view="), std::string::npos);
  EXPECT_EQ(app::format_state(s).find("orbit="), std::string::npos);
  s.view.x = 0.5f, s.view.y = -0.25f, s.view.zoom = 2.5f, s.view.trails = 0, s.view.step = 42, s.speed = 0;
  s.view.yaw = -135.5f, s.view.pitch = 60;
  const std::string query = app::format_state(s);
  for (const char* part : {"view=0.5%2C-0.25%2C2.5", "orbit=-135.5%2C60", "trails=0", "step=42", "speed=max"})
    EXPECT_NE(query.find(part), std::string::npos) << part << " in " << query;
  std::string error;
  const app::Settings back = app::parse_state(query, app::Settings{}, &error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(back.view.x, 0.5f);
  EXPECT_EQ(back.view.y, -0.25f);
  EXPECT_EQ(back.view.zoom, 2.5f);
  EXPECT_EQ(back.view.trails, 0);
  EXPECT_EQ(back.view.step, 42);
  EXPECT_EQ(back.speed, 0);
  EXPECT_EQ(back.view.yaw, -135.5f);
  EXPECT_EQ(back.view.pitch, 60.0f);
  app::parse_state("view=1,2&trails=-1&speed=fast&orbit=10,95", app::Settings{}, &error);
  for (const char* bad : {"view=1,2", "trails=-1", "speed=fast", "orbit=10,95"})
    EXPECT_NE(error.find(bad), std::string::npos) << bad << " in " << error;
}

// Drawn points travel in the link when the dataset is "drawn": every float back bit for bit; a
// malformed list, a non-finite value or more than kMaxDrawnPoints points is refused.
TEST(UrlState, DrawnPointsTravelInALink) {
  app::Settings s;
  s.dataset = "drawn";
  s.points = {0.1f, -2.5f, 1e-3f, 7.0f};
  std::string error;
  const app::Settings back = app::parse_state(app::format_state(s), app::Settings{}, &error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(back.points, s.points);
  s.dataset = "moons";
  EXPECT_EQ(app::format_state(s).find("points="), std::string::npos) << "only the drawn dataset carries points";
  std::string many;
  for (int i = 0; i <= app::kMaxDrawnPoints; ++i) many += (i ? ";" : "") + std::string("1,2");
  for (const std::string& bad : {std::string("1,2;3"), std::string("1,nan"), std::string("1;2"), many}) {
    app::parse_state("dataset=drawn&points=" + bad, app::Settings{}, &error);
    EXPECT_NE(error.find("(a bad value: the drawn points are"), std::string::npos)
        << bad.substr(0, 20) << ": " << error;
  }
}

TEST(UrlState, BadKeysAreNamedAndIgnored) {
  std::string error;
  const app::Settings base;
  const app::Settings s =
      app::parse_state("sigma=-1&steps=abc&dataset=nope&colour=red&draws=4&classes=3,12&&=&%zz=1", base, &error);
  EXPECT_EQ(s.sampler.sigma, base.sampler.sigma);
  EXPECT_EQ(s.sampler.n_steps, base.sampler.n_steps);
  EXPECT_EQ(s.dataset, base.dataset);
  EXPECT_EQ(s.sampler.n_draws, 4) << "good keys still apply";
  EXPECT_EQ(s.classes_mask, 0);
  for (const char* named : {"sigma=-1 (a bad value: ", "steps=abc (a bad value: ",
                            "dataset=nope (a bad value: the dataset is one of moons, circles",
                            "colour=red (an unknown key)", "classes=3,12 (a bad value: "})
    EXPECT_NE(error.find(named), std::string::npos) << named << " in: " << error;
  app::parse_state("schedule=cosine&estimator=ivf", base, &error);
  EXPECT_NE(error.find("schedule=cosine (a bad value: the time grid is flow or ddim)"), std::string::npos) << error;
  EXPECT_NE(error.find("estimator=ivf (a bad value: the estimator is exact or knn)"), std::string::npos) << error;
  app::parse_state("sigma=1e999&seed=99999999999999999999&start_t=nan&n_train=%41", base, &error);
  EXPECT_NE(error.find("sigma=1e999"), std::string::npos);
  EXPECT_NE(error.find("seed="), std::string::npos);
  EXPECT_NE(error.find("start_t=nan"), std::string::npos);
  EXPECT_NE(error.find("n_train=A"), std::string::npos) << "percent-escapes are decoded";
}

// Every key says what it takes when its value is refused (a link's author can mend it).
TEST(UrlState, EveryRefusedKeySaysWhatItTakes) {
  for (const std::string& key : app::state_keys()) {
    std::string error;
    app::parse_state(key + "=%01bad", app::Settings{}, &error);
    EXPECT_EQ(error.rfind("ignored " + key + "=\\x01bad (a bad value: ", 0), 0u) << error;
  }
  std::string error;
  app::parse_state("steps=0&sigma=-1&start_t=1&draws=2000&seed=-3", app::Settings{}, &error);
  for (const char* reason :
       {"steps=0 (a bad value: the number of steps is a whole number from 1 to 100000)",
        "sigma=-1 (a bad value: sigma, the smoothing, is a number from 0 (the exact model) to 1000000)",
        "start_t=1 (a bad value: the start time is a number from 0 (pure noise) to 0.999)",
        "draws=2000 (a bad value: M, the draws a step averages, is a whole number from 1 to 1024)",
        "seed=-3 (a bad value: the seed is a whole number from 0 to 2147483647)"})
    EXPECT_NE(error.find(reason), std::string::npos) << reason << " in: " << error;
}

// However many refused keys and however long their reasons, the message stays within
// kMaxNoticeBytes: the first keys named in order, the rest counted, every key accounted for.
// Refused keys in a row with the same reason share it, so the message names more of them.
TEST(UrlState, RefusedKeysInARowShareTheirReason) {
  std::string error;
  app::parse_state("sigma=-1&sigma=-2&steps=0&models=cfdm&models=wiener&flavour=x&colour=y", app::Settings{}, &error);
  EXPECT_EQ(error.rfind("ignored sigma=-1, sigma=-2 (a bad value: ", 0), 0u) << error;
  EXPECT_NE(error.find("; ignored steps=0 (a bad value: "), std::string::npos) << error;
  EXPECT_NE(error.find("; ignored models=cfdm, models=wiener (a bad value: the comparison shows 2 to 4 models"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("; ignored flavour=x, colour=y (an unknown key)"), std::string::npos) << error;
  EXPECT_EQ(error.find("more"), std::string::npos) << error;
}

TEST(UrlState, ManyRefusedKeysGiveABoundedMessage) {
  const std::string junk(40, '\x01');  // escaped: four characters a byte
  std::string query;
  constexpr int kRefused = 20;
  for (int i = 0; i < kRefused; ++i)
    query += (i ? "&" : "") + std::string(i % 2 ? "models=" : "dataset=") + junk + "%C3%A9," + junk;  // two unknown models
  std::string error;
  const app::Settings s = app::parse_state(query, app::Settings{}, &error);
  EXPECT_EQ(app::format_state(s), app::format_state(app::Settings{}));
  EXPECT_LE(error.size(), app::kMaxNoticeBytes) << error;
  EXPECT_EQ(error.rfind("ignored dataset=", 0), 0u) << error;
  int named = 0;  // (each refused key is named as key=value; these values hold no '=')
  for (size_t at = error.find('='); at != std::string::npos; at = error.find('=', at + 1)) ++named;
  const size_t more = error.rfind("; and ");
  ASSERT_NE(more, std::string::npos) << error;
  EXPECT_GE(named, 1);
  EXPECT_EQ(named + std::stoi(error.substr(more + 6)), kRefused) << error;
  EXPECT_NE(error.find("(a bad value: the dataset is one of"), std::string::npos) << "the first names its reason";
  EXPECT_NE(error.find("(a bad value: unknown model '"), std::string::npos) << "the second too: " << error;
}

// docs/embedding.md stays true: each iframe there is one of the app's presets (or the preset with
// a display key added) and parses without complaint; each preset is there.
TEST(UrlState, EveryPresetIsDocumentedAndEveryDocumentedLinkParses) {
  std::ifstream file(std::string(CFDM_SOURCE_DIR) + "/docs/embedding.md");
  ASSERT_TRUE(file) << "docs/embedding.md";
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  int links = 0;
  for (size_t at = text.find("embed.html?"); at != std::string::npos; at = text.find("embed.html?", at + 1)) {
    const size_t start = at + std::strlen("embed.html?");
    const std::string query = text.substr(start, text.find('"', start) - start);
    std::string error;
    app::parse_state(query, app::Settings{}, &error);
    EXPECT_EQ(error, "") << query;
    ++links;
  }
  EXPECT_GE(links, int(app::presets().size()));
  for (const app::Preset& preset : app::presets()) {
    const std::string link = std::string("embed.html?") + preset.query;
    EXPECT_TRUE(text.find(link + "\"") != std::string::npos || text.find(link + "&ui=") != std::string::npos)
        << preset.title << " is not in docs/embedding.md";
  }
}

}  // namespace
}  // namespace cfdm::test
