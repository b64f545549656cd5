// Train the student's-notes network — 784 → 10 (ReLU) → 10 (softmax), full-batch gradient descent,
// α = 0.1, 500 iterations — on MNIST, watch it learn, and save it. Run it inside the repository
// (it uses the shipped data/mnist) or pass an MNIST folder: dotnet run -- /path/to/mnist
using ScratchNet;
using ScratchNet.Training;

string? data = args.Length > 0 ? args[0] : null;
TrainingOptions recipe = Presets.Get("seed") with { Iterations = 500, LogEvery = 50 };

Digits model = Digits.Train(recipe, point =>
    Console.WriteLine($"iteration {point.Step,3}  loss {point.Loss:0.0000}  train {point.TrainAccuracy:P2}  dev {point.DevAccuracy:P2}"), data);

Console.WriteLine($"test accuracy {model.TestAccuracy:P2}");
model.Save("seed.safetensors");
Console.WriteLine("saved seed.safetensors");
